"""The generator's pod parts as a 1.30+ cluster has them: containers, volumes, managedFields, conditions."""

from __future__ import annotations

import hashlib
from typing import Any

ISTIO_IMAGE = "docker.io/istio/proxyv2:1.22.3"
ISTIO_STATUS = (
    '{"initContainers":null,"containers":["istio-proxy"],"volumes":["istio-envoy","istio-token"],'
    '"imagePullSecrets":null,"revision":"default"}'
)
SA_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def uid_of(seed: str) -> str:
    """A version-4-shaped UUID derived from ``seed`` (reproducible, unlike the apiserver's random ones)."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _field_ref(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def _probe(path: str, port: Any, delay: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
        "initialDelaySeconds": delay,
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def main_container(app: str, image: str, token_volume: str, gpu: bool) -> dict[str, Any]:
    """The workload container: ports, env, resources, mounts, probes, a hardened securityContext."""
    limits = {"cpu": "500m", "memory": "256Mi"}
    requests = {"cpu": "100m", "memory": "128Mi"}
    if gpu:
        limits["nvidia.com/gpu"] = requests["nvidia.com/gpu"] = "1"
    return {
        "name": app,
        "image": image,
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            _field_ref("POD_NAME", "metadata.name"),
            _field_ref("POD_NAMESPACE", "metadata.namespace"),
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
            {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "url"}}},
            {
                "name": "CACHE_ADDR",
                "valueFrom": {"configMapKeyRef": {"name": f"{app}-config", "key": "cache"}},
            },
            {
                "name": "GOMAXPROCS",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}},
            },
        ],
        "resources": {"limits": limits, "requests": requests},
        "volumeMounts": [
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": token_volume, "readOnly": True, "mountPath": SA_PATH},
        ],
        "livenessProbe": _probe("/healthz", "http", 10),
        "readinessProbe": _probe("/ready", "http", 5),
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {
            "capabilities": {"drop": ["ALL"]},
            "runAsUser": 10001,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
        },
    }


def sidecar(token_volume: str) -> dict[str, Any]:
    """The istio-proxy sidecar the injector adds."""
    return {
        "name": "istio-proxy",
        "image": ISTIO_IMAGE,
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
        "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
        "env": [
            {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
            _field_ref("POD_NAMESPACE", "metadata.namespace"),
        ],
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
        "volumeMounts": [
            {"name": "istio-envoy", "mountPath": "/etc/istio/proxy"},
            {"name": "istio-token", "mountPath": "/var/run/secrets/tokens"},
        ],
        "readinessProbe": _probe("/healthz/ready", 15021, 1),
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "securityContext": {"runAsUser": 1337, "runAsNonRoot": True},
    }


def volumes(token_volume: str, istio: bool) -> list[dict[str, Any]]:
    """A scratch emptyDir, the projected service-account token volume, and istio's when injected."""
    vols: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {}},
        {
            "name": token_volume,
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "path": "namespace",
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                },
                            ]
                        }
                    },
                ],
                "defaultMode": 420,
            },
        },
    ]
    if istio:
        vols.append({"name": "istio-envoy", "emptyDir": {"medium": "Memory"}})
        vols.append(
            {
                "name": "istio-token",
                "projected": {
                    "sources": [
                        {
                            "serviceAccountToken": {
                                "audience": "istio-ca",
                                "expirationSeconds": 43200,
                                "path": "istio-token",
                            }
                        },
                    ],
                    "defaultMode": 420,
                },
            }
        )
    return vols


def managed_fields(stamp: str, containers: list[str], rs_uid: str, scheduled: bool) -> list[dict[str, Any]]:
    """What kube-controller-manager (create) and the kubelet (status) own, as server-side apply records."""
    spec_fields: dict[str, Any] = {
        "f:containers": {
            f'k:{{"name":"{c}"}}': {
                ".": {},
                "f:env": {},
                "f:image": {},
                "f:imagePullPolicy": {},
                "f:name": {},
                "f:ports": {},
                "f:resources": {},
                "f:volumeMounts": {},
            }
            for c in containers
        },
        "f:dnsPolicy": {},
        "f:restartPolicy": {},
        "f:schedulerName": {},
        "f:securityContext": {},
        "f:serviceAccountName": {},
        "f:volumes": {},
    }
    status_fields: dict[str, Any] = {"f:conditions": {}, "f:phase": {}}
    if scheduled:
        status_fields.update({"f:containerStatuses": {}, "f:hostIP": {}, "f:podIP": {}, "f:startTime": {}})
    return [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:generateName": {},
                    "f:labels": {},
                    "f:annotations": {},
                    "f:ownerReferences": {".": {}, f'k:{{"uid":"{rs_uid}"}}': {}},
                },
                "f:spec": spec_fields,
            },
        },
        {
            "manager": "kubelet" if scheduled else "kube-scheduler",
            "operation": "Update",
            "apiVersion": "v1",
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:status": status_fields},
            "subresource": "status",
        },
    ]


def conditions(stamp: str, ready: bool) -> list[dict[str, Any]]:
    """The five conditions of a scheduled pod whose containers started (Ready ones only if ``ready``)."""
    started = ("PodReadyToStartContainers", "Initialized", "PodScheduled")
    return [
        {
            "type": t,
            "status": "True" if ready or t in started else "False",
            "lastProbeTime": None,
            "lastTransitionTime": stamp,
        }
        for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
