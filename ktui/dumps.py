"""Dump files -> a ClusterSnapshot: kubectl `List` JSON, `*List` kinds, YAML multi-doc, one object per file.

A bad file raises DumpError with a one-line reason naming the file (and the document, for YAML).
Kubernetes kinds ktui does not model (CronJob, HPA, RBAC, ...) and custom resources are skipped;
anything else without a known kind is an error, since it is probably not a Kubernetes dump at all.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import yaml

from ktui import decode
from ktui import resources as r

SKIPPED_KINDS = frozenset(
    {
        "CronJob",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "LimitRange",
        "PriorityClass",
        "ControllerRevision",
        "Lease",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "APIService",
        "CSIDriver",
        "CSINode",
        "CSIStorageCapacity",
        "VolumeAttachment",
        "PodTemplate",
        "ReplicationController",
        "ComponentStatus",
        "CertificateSigningRequest",
        "RuntimeClass",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "IPAddress",
        "ServiceCIDR",
        "PodSecurityPolicy",
        "VerticalPodAutoscaler",
        "Status",
    }
)
"""Kubernetes kinds a dump may contain that the engine does not read."""

_BUILTIN_GROUPS = (
    "",
    "v1",
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "discovery.k8s.io",
    "networking.k8s.io",
    "storage.k8s.io",
    "rbac.authorization.k8s.io",
    "events.k8s.io",
    "coordination.k8s.io",
    "scheduling.k8s.io",
    "node.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "apiregistration.k8s.io",
)


class DumpError(ValueError):
    """A dump file that cannot be read as Kubernetes objects (one-line message)."""


def _group(obj: dict[str, Any]) -> str:
    api = str(obj.get("apiVersion") or "")
    return api.split("/")[0] if "/" in api else ""


def _drop_nulls(value: Any) -> Any:
    """Remove null fields: the API writes empty lists as null (`"endpoints": null`), meaning absent."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _objects(doc: Any, where: str) -> list[dict[str, Any]]:
    """Flatten a document into object dicts (List / *List / bare array / one object)."""
    if doc is None:
        return []
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        kind = doc.get("kind")
        if not isinstance(kind, str) or not kind:
            raise DumpError(f"{where}: not a Kubernetes object (no kind)")
        if kind == "List" or (kind.endswith("List") and "items" in doc):
            raw_items = doc.get("items") or []
            if not isinstance(raw_items, list):
                raise DumpError(f"{where}: {kind}.items is not a list")
            item_kind = kind[:-4] if kind != "List" else ""
            items = [
                ({**i, "kind": item_kind} if isinstance(i, dict) and "kind" not in i and item_kind else i)
                for i in raw_items
            ]
        else:
            items = [doc]
    else:
        raise DumpError(f"{where}: expected a Kubernetes object or List, got {type(doc).__name__}")
    out: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise DumpError(f"{where}: item {n} is a {type(item).__name__}, not an object")
        if item.get("kind") == "List" or str(item.get("kind", "")).endswith("List"):
            out.extend(_objects(item, where))
        else:
            out.append(item)
    return out


def _documents(path: Path) -> list[tuple[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DumpError(f"{path}: not a text file (expected JSON or YAML)") from None
    except OSError as exc:
        raise DumpError(f"{path}: {exc.strerror or exc}") from None
    if not text.strip():
        raise DumpError(f"{path}: empty file")
    if text.lstrip()[:1] in "{[":
        try:
            return [(str(path), json.loads(text))]
        except json.JSONDecodeError as exc:
            if text.lstrip()[:1] == "[" or path.suffix == ".json":
                raise DumpError(
                    f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise DumpError(f"{path}: not valid JSON or YAML{at}: {problem}") from None
    if len(docs) == 1 and isinstance(docs[0], str):
        raise DumpError(f"{path}: not a Kubernetes dump (plain text, expected JSON or YAML objects)")
    return [(f"{path} (document {i + 1})" if len(docs) > 1 else str(path), d) for i, d in enumerate(docs)]


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(
                f for f in path.rglob("*") if f.suffix in (".json", ".yaml", ".yml") and f.is_file()
            )
            if not found:
                raise DumpError(f"{path}: directory has no .json, .yaml or .yml files")
            out.extend(found)
        elif not path.exists():
            raise DumpError(f"{path}: no such file")
        else:
            out.append(path)
    return out


def _latest_time(objs: list[Any]) -> datetime | None:
    """The newest timestamp in the dump: 'now' for ages, so an old dump reads as when it was taken."""
    best: datetime | None = None

    def see(t: datetime | None) -> None:
        nonlocal best
        if t is not None and (best is None or t > best):
            best = t

    for o in objs:
        see(o.metadata.creation_timestamp)
        if isinstance(o, r.Event):
            see(o.last_timestamp)
            see(o.event_time)
            see(o.series.last_observed_time if o.series else None)
        status = getattr(o, "status", None)
        for c in getattr(status, "conditions", ()) or ():
            see(c.last_transition_time)
        if isinstance(o, r.Pod):
            for s in o.status.container_statuses + o.status.init_container_statuses:
                for st in (s.state, s.last_state):
                    if st is None:
                        continue
                    see(st.running.started_at if st.running else None)
                    see(st.terminated.finished_at if st.terminated else None)
    return best


def load_dumps(paths: list[str], now: datetime | None = None) -> r.ClusterSnapshot:
    """Read dump files (or directories of them) into one snapshot; DumpError on the first bad file."""
    by_field: dict[str, dict[tuple[str, str, str], Any]] = defaultdict(dict)
    kinds: set[str] = set()
    for path in _files(paths):
        for where, doc in _documents(path):
            for obj in _objects(doc, where):
                kind = str(obj.get("kind") or "")
                if not kind:
                    raise DumpError(f"{where}: object has no kind")
                if kind not in r.KIND_TYPES:
                    if kind in SKIPPED_KINDS or _group(obj) not in _BUILTIN_GROUPS:
                        continue
                    raise DumpError(f"{where}: unknown kind {kind!r} (not a Kubernetes object ktui knows)")
                try:
                    record = decode.decode_object(_drop_nulls(obj))
                except decode.DecodeError as exc:
                    raise DumpError(f"{where}: {exc}".splitlines()[0]) from None
                meta = record.metadata
                if not meta.name:
                    raise DumpError(f"{where}: {kind} without metadata.name")
                field = r.SNAPSHOT_FIELD_BY_KIND[kind]
                by_field[field][(meta.namespace, meta.name, meta.uid)] = record  # later files win
                kinds.add(kind)
    if not kinds:
        raise DumpError(f"{', '.join(paths)}: no Kubernetes objects found")
    objs = [o for table in by_field.values() for o in table.values()]
    moment = now or _latest_time(objs) or datetime.now(UTC)
    fields: dict[str, Any] = {name: tuple(table.values()) for name, table in by_field.items()}
    try:
        return r.ClusterSnapshot(now=moment, synced=frozenset(kinds), **fields)
    except (TypeError, msgspec.ValidationError) as exc:  # pragma: no cover - fields come from the table
        raise DumpError(f"cannot build a snapshot: {exc}") from None
