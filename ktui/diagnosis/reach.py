"""What a change can reach: which objects read a pod's new version, its crash logs, its labels.

The incremental engine judges again only what a change can alter. These decide it for pods: whether
a pod's own findings can differ (``same_verdict``), whether anything else reads what changed
(``quiet``, ``roots_moved``, ``problems_moved``), which pods new crash-log lines concern
(``log_changes``) and which Services select a pod (``selects``, ``SelectorIndex``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ktui.diagnosis.findings import Finding
from ktui.diagnosis.index import Index, store_key
from ktui.diagnosis.rules.pods import is_ready


def log_changes(
    ix: Index, logs: Mapping[str, Any], old: Mapping[str, Any], dirty: dict[str, set[str]]
) -> None:
    """Mark the pods whose crash-log lines changed: only their own container findings quote them."""
    names: dict[str, set[str]] = defaultdict(set)
    for key in logs.keys() | old.keys():  # "namespace/pod/container"
        if logs.get(key) != old.get(key):
            namespace, _, rest = key.partition("/")
            names[namespace].add(rest.partition("/")[0])
    for namespace, pods in names.items():
        dirty["pods"].update(ix.pod_keys(namespace, pods))


def quiet(old: Any, new: Any) -> bool:
    """Whether what other objects read of a pod is the same in both versions, its findings aside.

    Workloads, Services, Ingresses, Jobs and claims read a pod's labels, owners, spec (ports,
    volumes), phase, readiness (its own and its containers'), deletion and name, and its root finding
    only when it is a problem (``problems_moved``). A healthy pod's restart or condition timestamp
    changes none of these.
    """
    a, b = old.metadata, new.metadata
    return (
        a.labels == b.labels and a.owner_references == b.owner_references
        and a.deletion_timestamp == b.deletion_timestamp and a.name == b.name
        and (old.spec is new.spec or old.spec == new.spec)
        and old.status.phase == new.status.phase and is_ready(old) == is_ready(new)
        and _same_readiness(old.status.container_statuses, new.status.container_statuses)
    )


def _same_readiness(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Whether the containers' ready flags are the same, in order (no lists made: once per pod event)."""
    if len(old) != len(new):
        return False
    for x, y in zip(old, new):  # noqa: B905, SIM110 - lengths checked above; a loop: see is_ready
        if x is not y and x.ready != y.ready:
            return False
    return True


def problems_moved(before: tuple[Finding, ...] | None, after: tuple[Finding, ...] | None) -> bool:
    """Whether a quiet pod's change can reach the objects rolling it up: a problem came, went or moved
    (``before``/``after``: its findings; None when it was not judged, or is gone)."""
    if before is None or after is None:
        return True
    return before != after and (any(f.is_problem for f in before) or any(f.is_problem for f in after))


def roots_moved(before: tuple[Finding, ...] | None, after: tuple[Finding, ...] | None) -> bool:
    """Whether what roll-ups count of a quiet pod moved: whether its root finding is a problem, and
    of which kind (None: not judged, or gone). They read nothing else of it, except the words of
    the one problem each repeats (``Hit.quotes``): kept kind and new words reach only those."""
    if before is None or after is None or not before or not after:
        return before != after
    a, b = before[0], after[0]
    return a.is_problem != b.is_problem or (a.is_problem and a.category != b.category)


def same_verdict(old: Any, new: Any) -> bool:
    """Whether a pod's own findings cannot differ between two versions of its record.

    They read its spec, status, identity and deletion, never its annotations, labels or
    resourceVersion (which Services and workloads read, and which are judged again anyway).
    """
    if old.status != new.status or old.spec != new.spec:  # status first: it is what usually moved
        return False
    a, b = old.metadata, new.metadata
    return (
        a.name == b.name and a.namespace == b.namespace and a.uid == b.uid
        and a.deletion_timestamp == b.deletion_timestamp and a.creation_timestamp == b.creation_timestamp
    )


def selects(svc: Any, pods: list[Any]) -> bool:
    """Whether a Service's selector matches any of these pods' labels (no selector: always)."""
    selector = svc.spec.selector
    if not selector:
        return True
    for pod in pods:
        labels = pod.metadata.labels or {}
        if all(labels.get(k) == v for k, v in selector.items()):
            return True
    return False


class SelectorIndex:
    """The Services a changed pod can reach, found through its labels rather than by asking every Service."""

    def __init__(self) -> None:
        self._filed: tuple[Any, dict[tuple[str, str, str], list[str]], dict[str, list[str]]] | None = None

    def selecting(self, records: Any, services: Mapping[str, Any], ns: str, pods: list[Any]) -> set[str]:
        """Keys of the judged Services (``services``: key -> entry) of ``ns`` whose selector matches one of
        these pods, or that have none (``selects``); ``records``: the snapshot's Services."""
        filed = self._filed
        if filed is None or filed[0] is not records:
            by_label: dict[tuple[str, str, str], list[str]] = defaultdict(list)
            bare: dict[str, list[str]] = defaultdict(list)
            for svc in records:
                selector = svc.spec.selector
                if selector:  # filed under one of its pairs: a pod matching it carries that label
                    k, v = min(selector.items())
                    by_label[(svc.metadata.namespace, k, v)].append(store_key(svc))
                else:
                    bare[svc.metadata.namespace].append(store_key(svc))
            filed = self._filed = (records, by_label, bare)
        _, by_label, bare = filed
        found = {key for key in bare.get(ns, ()) if key in services}
        for pod in pods:
            for k, v in (pod.metadata.labels or {}).items():
                for key in by_label.get((ns, k, v), ()):
                    entry = services.get(key)
                    if key not in found and entry is not None and selects(entry.obj, [pod]):
                        found.add(key)
        return found
