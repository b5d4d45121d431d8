"""Missing ConfigMaps, Secrets and keys, referenced from env, envFrom or volumes."""

from __future__ import annotations

import re

from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit
from ktui.diagnosis.rules.events import event_line
from ktui.diagnosis.shell import describe
from ktui.resources import Container, Event, Pod

_MISSING_OBJ = re.compile(r'(configmap|secret)s? "([^"]+)" not found', re.I)
_MISSING_KEY = re.compile(r"couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)/(\S+)", re.I)
_MISSING_VOL_KEY = re.compile(
    r"(configmap|secret) references non-existent (?:config|secret) key: (\S+)", re.I
)
_VOLUME = re.compile(r'for volume "([^"]+)"')
_TITLE = {"configmap": "ConfigMap", "secret": "Secret"}


def _uses(pod: Pod, spec: Container | None, kind: str, name: str) -> str:
    """Where the pod refers to ConfigMap/Secret ``name``: 'env DB_PASS', 'envFrom', 'volume config'."""
    cm = kind == "ConfigMap"
    containers = [spec] if spec is not None else list(pod.spec.init_containers + pod.spec.containers)
    for c in containers:
        for env in c.env:
            src = env.value_from
            ref = (src.config_map_key_ref if cm else src.secret_key_ref) if src else None
            if ref is not None and ref.name == name:
                return f"env {env.name}"
        for ef in c.env_from:
            ref2 = ef.config_map_ref if cm else ef.secret_ref
            if ref2 is not None and ref2.name == name:
                return "envFrom"
    for vol in pod.spec.volumes:
        if (cm and vol.config_map and vol.config_map.name == name) or (
            not cm and vol.secret and vol.secret.secret_name == name
        ):
            return f"volume {vol.name}"
    return ""


def _hit(pod: Pod, container: str, kind: str, name: str, key: str, where: str, evidence: list[str]) -> Hit:
    what = f'key "{key}" of {kind} "{name}"' if key else f'{kind} "{name}"'
    if where:
        what += f" ({where})"
    ns = pod.metadata.namespace
    cmd = f"kubectl get {kind.lower()} {name} -n {ns}" + (
        " -o jsonpath='{.data}'" if kind == "ConfigMap" else ""
    )
    if kind == "Secret":
        cmd = describe("secret", ns, name)  # describe lists the keys, never the values
    return Hit(
        "config_reference_missing",
        {"container": container, "what": what, "kind": kind, "object": name, "key": key},
        evidence,
        [cmd, describe("pod", ns, pod.metadata.name)],
    )


def config_hit(ix: Index, pod: Pod, spec: Container, message: str, state_line: str) -> Hit:
    """A CreateContainerConfigError: name the missing ConfigMap/Secret or key and where it is used."""
    m = _MISSING_KEY.search(message)
    if m:
        kind = "ConfigMap" if m.group(2).lower() == "configmap" else "Secret"
        return _hit(
            pod, spec.name, kind, m.group(4), m.group(1), _uses(pod, spec, kind, m.group(4)), [state_line]
        )
    m2 = _MISSING_OBJ.search(message)
    if m2:
        kind = _TITLE[m2.group(1).lower()]
        return _hit(pod, spec.name, kind, m2.group(2), "", _uses(pod, spec, kind, m2.group(2)), [state_line])
    static = static_reference_hit(ix, pod, spec)
    if static is not None:
        static.evidence.insert(0, state_line)
        return static
    why = " ".join(message.split())[:200] or "CreateContainerConfigError"
    return Hit(
        "container_runtime_error",
        {"container": spec.name, "why": why},
        [state_line],
        [describe("pod", pod.metadata.namespace, pod.metadata.name)],
    )


def mount_hit(ix: Index, pod: Pod, events: list[Event]) -> Hit | None:
    """A FailedMount event naming a missing ConfigMap/Secret (or key) of a volume."""
    for ev in events:
        if ev.reason not in ("FailedMount", "FailedAttachVolume"):
            continue
        msg = ev.message or ""
        vol = _VOLUME.search(msg)
        where = f"volume {vol.group(1)}" if vol else ""
        line = event_line(ev, ix.now)
        m = _MISSING_OBJ.search(msg)
        if m:
            kind = _TITLE[m.group(1).lower()]
            return _hit(
                pod,
                _first_container(pod),
                kind,
                m.group(2),
                "",
                where or _uses(pod, None, kind, m.group(2)),
                [line],
            )
        k = _MISSING_VOL_KEY.search(msg)
        if k:
            kind = _TITLE[k.group(1).lower()]
            name = _volume_source(pod, vol.group(1) if vol else "", kind)
            return _hit(pod, _first_container(pod), kind, name or "?", k.group(2), where, [line])
    return None


def _first_container(pod: Pod) -> str:
    return pod.spec.containers[0].name if pod.spec.containers else "?"


def _volume_source(pod: Pod, volume: str, kind: str) -> str:
    for v in pod.spec.volumes:
        if v.name == volume:
            if kind == "ConfigMap" and v.config_map:
                return v.config_map.name
            if kind == "Secret" and v.secret:
                return v.secret.secret_name
    return ""


def static_reference_hit(ix: Index, pod: Pod, spec: Container | None) -> Hit | None:
    """A non-optional reference to a ConfigMap/Secret (or key) absent from a complete snapshot."""
    ns = pod.metadata.namespace
    containers = [spec] if spec is not None else list(pod.spec.init_containers + pod.spec.containers)

    def missing(kind: str, name: str, key: str = "") -> bool:
        if not ix.known(kind):
            return False
        table = ix.config_maps if kind == "ConfigMap" else ix.secrets
        obj = table.get((ns, name))
        return obj is None or (bool(key) and key not in obj.keys)

    for c in containers:
        for env in c.env:
            src = env.value_from
            if src is None:
                continue
            for kind, ref in (("ConfigMap", src.config_map_key_ref), ("Secret", src.secret_key_ref)):
                if ref is not None and not ref.optional and missing(kind, ref.name, ref.key):
                    key = (
                        ref.key
                        if (ns, ref.name) in (ix.config_maps if kind == "ConfigMap" else ix.secrets)
                        else ""
                    )
                    return _hit(pod, c.name, kind, ref.name, key, f"env {env.name}", [])
        for ef in c.env_from:
            for kind, nref in (("ConfigMap", ef.config_map_ref), ("Secret", ef.secret_ref)):
                if nref is not None and not nref.optional and missing(kind, nref.name):
                    return _hit(pod, c.name, kind, nref.name, "", "envFrom", [])
    for vol in pod.spec.volumes:
        if vol.config_map and not vol.config_map.optional and missing("ConfigMap", vol.config_map.name):
            return _hit(
                pod, _first_container(pod), "ConfigMap", vol.config_map.name, "", f"volume {vol.name}", []
            )
        if vol.secret and not vol.secret.optional and missing("Secret", vol.secret.secret_name):
            return _hit(
                pod, _first_container(pod), "Secret", vol.secret.secret_name, "", f"volume {vol.name}", []
            )
    return None
