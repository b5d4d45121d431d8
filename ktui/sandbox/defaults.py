"""Admission-time work the apiserver does on writes: defaulting, quantity normalisation, validation.

Kept apart from the store so the store only stores. Defaults are the ones ``kubectl get -o yaml``
shows on a real 1.32 cluster, so objects read back look like the real thing and pass the v37
client's model validation.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from ktui.sandbox.errors import ApiError, invalid
from ktui.sandbox.registry import ResourceType

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_LABEL_NAMED = {"namespaces", "services"}  # DNS-1123 label names (not subdomains)


def check_shape(t: ResourceType, obj: Any) -> None:
    """400 when the body could not be decoded into the Go type (wrong JSON types in metadata)."""
    where = f'{t.kind} in version "{t.version}" cannot be handled as a {t.kind}'
    if not isinstance(obj, dict):
        raise ApiError(400, "BadRequest", f"{where}: json: cannot unmarshal into Go value of type {t.kind}")
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        raise ApiError(
            400,
            "BadRequest",
            f"{where}: json: cannot unmarshal into Go struct field {t.kind}.metadata of type v1.ObjectMeta",
        )
    for name in ("name", "namespace", "generateName", "resourceVersion", "uid"):
        if meta.get(name) is not None and not isinstance(meta[name], str):
            raise ApiError(
                400,
                "BadRequest",
                f"{where}: json: cannot unmarshal number into Go struct field "
                f"ObjectMeta.metadata.{name} of type string",
            )
    for name in ("labels", "annotations"):
        value = meta.get(name)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ApiError(
                400,
                "BadRequest",
                f"{where}: json: cannot unmarshal into Go struct field "
                f"ObjectMeta.metadata.{name} of type map[string]string",
            )
    for name in ("spec", "status"):
        if obj.get(name) is not None and not isinstance(obj[name], dict):
            raise ApiError(
                400, "BadRequest", f"{where}: json: cannot unmarshal into Go struct field {t.kind}.{name}"
            )


def validate_name(t: ResourceType, name: str) -> None:
    """422 for a name the apiserver would refuse."""
    pattern, msg = (_LABEL, _LABEL_MSG) if t.plural in _LABEL_NAMED else (_SUBDOMAIN, _SUBDOMAIN_MSG)
    if len(name) > 253 or not pattern.match(name):
        raise invalid(
            t.kind, name, [("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {msg}')], t.group
        )


def _quantity(value: Any) -> Any:
    """Numbers in quantity fields become strings, as the apiserver's Quantity round-trip does."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not value.is_integer():
        return f"{round(value * 1000)}m"
    return str(int(value))


def _quantities(mapping: Any) -> None:
    if isinstance(mapping, dict):
        for k, v in mapping.items():
            mapping[k] = _quantity(v)


def _pod_spec_quantities(spec: dict[str, Any]) -> None:
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict) and isinstance(c.get("resources"), dict):
                _quantities(c["resources"].get("requests"))
                _quantities(c["resources"].get("limits"))
    _quantities(spec.get("overhead"))


def normalize(t: ResourceType, obj: dict[str, Any]) -> None:
    """Stringify numeric quantities wherever the API types them as ``Quantity``."""
    spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    status: dict[str, Any] = obj["status"] if isinstance(obj.get("status"), dict) else {}
    if t.key == "pods":
        _pod_spec_quantities(spec)
    elif t.key in ("deployments.apps", "replicasets.apps"):
        tspec = (spec.get("template") or {}).get("spec")
        if isinstance(tspec, dict):
            _pod_spec_quantities(tspec)
    elif t.key == "nodes":
        _quantities(status.get("capacity"))
        _quantities(status.get("allocatable"))
    elif t.key == "resourcequotas":
        _quantities(spec.get("hard"))
        _quantities(status.get("hard"))
        _quantities(status.get("used"))
    elif t.key == "persistentvolumeclaims":
        _quantities((spec.get("resources") or {}).get("requests"))
        _quantities(status.get("capacity"))
    elif t.key == "persistentvolumes":
        _quantities(spec.get("capacity"))


def validate(t: ResourceType, obj: dict[str, Any]) -> None:
    """422 with field causes for the required fields clients rely on."""
    name = obj["metadata"].get("name", "")
    causes: list[tuple[str, str, str]] = []
    spec = obj.get("spec") or {}
    if t.key == "pods":
        containers = spec.get("containers")
        if not containers or not isinstance(containers, list):
            causes.append(("FieldValueRequired", "spec.containers", "Required value"))
        else:
            for i, c in enumerate(containers):
                if not isinstance(c, dict) or not c.get("name"):
                    causes.append(("FieldValueRequired", f"spec.containers[{i}].name", "Required value"))
                elif not c.get("image"):
                    causes.append(("FieldValueRequired", f"spec.containers[{i}].image", "Required value"))
    elif t.key in ("deployments.apps", "replicasets.apps"):
        selector = spec.get("selector")
        if not selector:
            causes.append(("FieldValueRequired", "spec.selector", "Required value"))
        template = spec.get("template") or {}
        labels = (template.get("metadata") or {}).get("labels") or {}
        if selector and any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
            causes.append(
                (
                    "FieldValueInvalid",
                    "spec.template.metadata.labels",
                    f"Invalid value: {_go_map(labels)}: `selector` does not match template `labels`",
                )
            )
        if not (template.get("spec") or {}).get("containers"):
            causes.append(("FieldValueRequired", "spec.template.spec.containers", "Required value"))
    elif t.key == "services" and not spec.get("ports") and spec.get("type") != "ExternalName":
        headless = spec.get("clusterIP") == "None"  # headless services may omit ports
        causes.extend([] if headless else [("FieldValueRequired", "spec.ports", "Required value")])
    if causes:
        raise invalid(t.kind, name, causes, t.group)


def _go_map(labels: dict[str, str]) -> str:
    return "map[string]string{" + ", ".join(f'"{k}":"{v}"' for k, v in sorted(labels.items())) + "}"


class Defaulter:
    """Fills in server-side defaults; owns the ClusterIP allocator."""

    def __init__(self) -> None:
        self._next_ip = int(ipaddress.IPv4Address("10.96.0.10"))
        self._used_ips: set[str] = set()

    def apply(self, t: ResourceType, obj: dict[str, Any]) -> None:
        """Default ``obj`` in place (on create)."""
        fn = getattr(self, "_" + t.kind.lower(), None)
        if fn is not None:
            fn(obj)

    def _namespace(self, obj: dict[str, Any]) -> None:
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")

    def _pod(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("securityContext", {})
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(isinstance(x, dict) and x.get("key") == key for x in tolerations):
                tolerations.append(
                    {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
                )
        for key in ("containers", "initContainers"):
            for c in spec.get(key) or []:
                image = str(c.get("image", ""))
                tag = image.rsplit("/", 1)[-1]
                latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
                c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
                c.setdefault("terminationMessagePath", "/dev/termination-log")
                c.setdefault("terminationMessagePolicy", "File")
                c.setdefault("resources", {})
                for port in c.get("ports") or []:
                    if isinstance(port, dict):
                        port.setdefault("protocol", "TCP")
                for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                    if isinstance(c.get(probe), dict):
                        _probe(c[probe])
                for env in c.get("env") or []:
                    source = (env.get("valueFrom") or {}) if isinstance(env, dict) else {}
                    field_ref = source.get("fieldRef")
                    if isinstance(field_ref, dict):
                        field_ref.setdefault("apiVersion", "v1")
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status.setdefault("qosClass", _qos(spec))

    def _service(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            if not spec.get("clusterIP"):
                spec["clusterIP"] = self._allocate()
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
        obj.setdefault("status", {}).setdefault("loadBalancer", {})

    def _deployment(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault(
            "strategy",
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        )
        self._template(spec)

    def _replicaset(self, obj: dict[str, Any]) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        self._template(spec)
        obj.setdefault("status", {}).setdefault("replicas", 0)

    def _template(self, spec: dict[str, Any]) -> None:
        template = spec.get("template")
        if isinstance(template, dict) and isinstance(template.get("spec"), dict):
            pod = {"metadata": {}, "spec": template["spec"]}
            self._pod(pod)
            template["spec"] = pod["spec"]

    def _persistentvolumeclaim(self, obj: dict[str, Any]) -> None:
        obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {}).setdefault("phase", "Pending")

    def _serviceaccount(self, obj: dict[str, Any]) -> None:
        return None

    def _allocate(self) -> str:
        while True:
            ip = str(ipaddress.IPv4Address(self._next_ip))
            self._next_ip += 1
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip


def _probe(probe: dict[str, Any]) -> None:
    """Probe defaults (k/k ``pkg/apis/core/v1/defaults.go``): the kubelet relies on non-zero thresholds."""
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if isinstance(probe.get("httpGet"), dict):
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe["httpGet"].setdefault("path", "/")


def _qos(spec: dict[str, Any]) -> str:
    requests_any, guaranteed = False, True
    for c in spec.get("containers") or []:
        res = c.get("resources") or {} if isinstance(c, dict) else {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            requests_any = True
        for r in ("cpu", "memory"):
            if r not in lim or str(req.get(r, lim.get(r))) != str(lim.get(r)):
                guaranteed = False
    if not requests_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
