"""Scenarios: YAML manifests in this package, applied at start in dependency order."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from ktui.sandbox import registry
from ktui.sandbox.errors import bad_request
from ktui.sandbox.store import Store, copy

# Kinds other objects refer to come first (namespaces before anything namespaced, classes before claims).
_ORDER = (
    "Namespace",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
    "Node",
    "ResourceQuota",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "ReplicaSet",
    "Pod",
    "Endpoints",
    "EndpointSlice",
    "Ingress",
    "Event",
)


class UnknownScenario(LookupError):
    """No scenario of that name; ``known`` lists the ones there are."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown scenario {name!r} (known: {', '.join(known)})")
        self.name = name
        self.known = known


def names() -> list[str]:
    """The scenarios shipped in this package, sorted."""
    root = resources.files(__package__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def text(name: str) -> str:
    """The YAML text of scenario ``name`` (UnknownScenario if there is none)."""
    known = names()
    if name not in known:
        raise UnknownScenario(name, known)
    return resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def parse(manifest: str) -> list[dict[str, Any]]:
    """Multi-document YAML into objects (``kind: List`` expanded); 400 on bad YAML or non-objects."""
    try:
        docs = [d for d in yaml.safe_load_all(manifest) if d is not None]
    except yaml.YAMLError as exc:
        raise bad_request(f"error parsing YAML: {exc}") from None
    out: list[dict[str, Any]] = []
    for doc in docs:
        if not isinstance(doc, dict):
            raise bad_request("manifest documents must be objects")
        if doc.get("kind") == "List":
            out.extend(d for d in doc.get("items") or [] if isinstance(d, dict))
        else:
            out.append(doc)
    return out


def ordered(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents in dependency order (stable within a kind)."""
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    return sorted(docs, key=lambda d: rank.get(str(d.get("kind")), len(_ORDER)))


def apply(
    store: Store, docs: list[dict[str, Any]], *, default_namespace: str = "default"
) -> list[dict[str, Any]]:
    """Create or update each object like ``kubectl apply``, creating missing namespaces; runs on the loop."""
    results = []
    for doc in ordered(docs):
        t = registry.for_kind(str(doc.get("apiVersion", "")), str(doc.get("kind", "")))
        if t is None:
            raise bad_request(f'no matches for kind "{doc.get("kind")}" in version "{doc.get("apiVersion")}"')
        if t.storage:  # events.k8s.io/v1 Events are stored in their core form
            doc, t = registry.event_from_v1(doc), registry.get(t.storage)
        meta = doc.setdefault("metadata", {})
        ns = None
        if t.namespaced:
            ns = meta.get("namespace") or default_namespace
            meta["namespace"] = ns
            if store.get("namespaces", None, ns) is None:
                store.create("namespaces", {"metadata": {"name": ns}})
        current = store.get(t.key, ns, meta.get("name", "")) if meta.get("name") else None
        if current is None:
            results.append(store.create(t.key, doc, namespace=ns))
            continue
        new = copy(doc)
        if "status" not in new and "status" in current:
            new["status"] = current["status"]
        results.append(store.update(t.key, new))
    return results


def load(store: Store, name: str) -> list[dict[str, Any]]:
    """Apply scenario ``name`` to ``store``."""
    return apply(store, parse(text(name)))
