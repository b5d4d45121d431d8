"""ConfigMaps and Secrets as the kubelet consumes them: environment variables and volume files.

Error texts are the kubelet's: ``configmap "app-config" not found`` and ``couldn't find key db-url in
ConfigMap default/app-config`` (CreateContainerConfigError), and
``MountVolume.SetUp failed for volume "config" : configmap "app-config" not found`` (FailedMount).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any


class ConfigError(Exception):
    """A container's configuration cannot be generated (CreateContainerConfigError)."""


def _source(store: Any, kind: str, namespace: str, name: str) -> dict[str, str] | None:
    resource = "configmaps" if kind == "ConfigMap" else "secrets"
    obj = store.get(resource, namespace, name)
    if obj is None:
        return None
    if kind == "ConfigMap":
        return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    out: dict[str, str] = {}
    for k, v in (obj.get("data") or {}).items():
        try:
            out[str(k)] = base64.b64decode(str(v)).decode(errors="replace")
        except (binascii.Error, ValueError):
            out[str(k)] = ""
    for k, v in (obj.get("stringData") or {}).items():
        out[str(k)] = str(v)
    return out


def _field(pod: dict[str, Any], path: str) -> str:
    meta, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.+)'\]", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    return str(
        {
            "metadata.name": meta.get("name"),
            "metadata.namespace": meta.get("namespace"),
            "metadata.uid": meta.get("uid"),
            "spec.nodeName": spec.get("nodeName"),
            "spec.serviceAccountName": spec.get("serviceAccountName"),
            "status.podIP": status.get("podIP"),
            "status.hostIP": status.get("hostIP"),
        }.get(path)
        or ""
    )


def _referenced(
    store: Any, ns: str, config_map: dict[str, Any] | None, secret: dict[str, Any] | None
) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """The kind, reference and data of the ConfigMap (else Secret) referred to; None to skip it.

    None when neither reference is set or the object is missing and the reference optional;
    ConfigError with the kubelet's message when a required one is missing.
    """
    kind, body = ("ConfigMap", config_map) if config_map else ("Secret", secret)
    if not body:
        return None
    data = _source(store, kind, ns, str(body.get("name", "")))
    if data is None:
        if body.get("optional"):
            return None
        raise ConfigError(f'{kind.lower()} "{body.get("name", "")}" not found')
    return kind, body, data


def environment(store: Any, pod: dict[str, Any], container: dict[str, Any]) -> dict[str, str]:
    """The container's environment; raises ConfigError with the kubelet's message."""
    ns = pod["metadata"].get("namespace", "default")
    env: dict[str, str] = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME": pod["metadata"]["name"],
        "KUBERNETES_SERVICE_HOST": "10.96.0.1",
        "KUBERNETES_SERVICE_PORT": "443",
        "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    }
    for ref in container.get("envFrom") or []:
        found = _referenced(store, ns, ref.get("configMapRef"), ref.get("secretRef"))
        if found is None:
            continue
        data = found[2]
        prefix = str(ref.get("prefix") or "")
        env.update({prefix + k: v for k, v in data.items()})
    for var in container.get("env") or []:
        name = str(var.get("name", ""))
        if "value" in var or not var.get("valueFrom"):
            env[name] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), str(var.get("value", ""))
            )
            continue
        source = var["valueFrom"]
        if source.get("fieldRef"):
            env[name] = _field(pod, str(source["fieldRef"].get("fieldPath", "")))
            continue
        if source.get("resourceFieldRef"):
            env[name] = "0"
            continue
        found = _referenced(store, ns, source.get("configMapKeyRef"), source.get("secretKeyRef"))
        if found is None:
            continue
        kind, body, data = found
        key = str(body.get("key", ""))
        if key not in data:
            if body.get("optional"):
                continue
            raise ConfigError(f"couldn't find key {key} in {kind} {ns}/{body.get('name', '')}")
        env[name] = data[key]
    return env


def mount_volumes(store: Any, pod: dict[str, Any]) -> tuple[dict[str, dict[str, bytes]], list[str]]:
    """Files per volume, and the FailedMount messages for volumes that cannot be set up."""
    ns = pod["metadata"].get("namespace", "default")
    volumes: dict[str, dict[str, bytes]] = {}
    errors: list[str] = []
    for vol in pod.get("spec", {}).get("volumes") or []:
        name = str(vol.get("name", ""))
        files: dict[str, bytes] = {}
        sources: list[tuple[str, dict[str, Any]]] = []
        if vol.get("configMap"):
            sources.append(("ConfigMap", vol["configMap"]))
        elif vol.get("secret"):
            sources.append(("Secret", {**vol["secret"], "name": vol["secret"].get("secretName", "")}))
        elif vol.get("projected"):
            for src in vol["projected"].get("sources") or []:
                if src.get("configMap") and src["configMap"].get("name") != "kube-root-ca.crt":
                    sources.append(("ConfigMap", src["configMap"]))
                elif src.get("secret"):
                    sources.append(("Secret", src["secret"]))
        for kind, body in sources:
            data = _source(store, kind, ns, str(body.get("name", "")))
            if data is None:
                if not body.get("optional"):
                    errors.append(
                        f'MountVolume.SetUp failed for volume "{name}" : {kind.lower()} '
                        f'"{body.get("name", "")}" not found'
                    )
                continue
            items = body.get("items")
            if items:
                for item in items:
                    key = str(item.get("key", ""))
                    if key not in data:
                        if not body.get("optional"):
                            errors.append(
                                f'MountVolume.SetUp failed for volume "{name}" : {kind.lower()} '
                                f"references non-existent config key: {key}"
                            )
                        continue
                    files[str(item.get("path", key))] = data[key].encode()
            else:
                files.update({k: v.encode() for k, v in data.items()})
        volumes[name] = files
    return volumes, errors


def container_files(container: dict[str, Any], volumes: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """The container's view of its mounted volumes: absolute path -> content."""
    files: dict[str, bytes] = {}
    for mount in container.get("volumeMounts") or []:
        content = volumes.get(str(mount.get("name", "")), {})
        path = str(mount.get("mountPath", "")).rstrip("/")
        sub = mount.get("subPath")
        if sub:
            if sub in content:
                files[path] = content[sub]
            continue
        for key, data in content.items():
            files[f"{path}/{key}"] = data
    return files
