"""Snapshot -> the rows of the Services, Ingresses, Deployments, ReplicaSets and Nodes lists.

Pure functions of records, the snapshot's clock and the diagnosis verdicts (passed in as plain
mappings: the model layer does not import the diagnosis). Columns follow ``kubectl get`` where
kubectl has one (READY ``1/1``, PORTS, ROLES, AGE), plus what a troubleshooter needs at a glance:
the Service's target ports and ready/total endpoints, the Ingress's backends, and a VERDICT column
with the diagnosis's first line. Every row also carries ``pods_query``: the pod-list filter that
shows the pods behind the object (Enter in the TUI jumps there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ktui import resources as r
from ktui.model.durations import since
from ktui.model.events import EventRow, scoped_events
from ktui.model.ingress_path import ingress_class_of, ingress_routes
from ktui.model.pod_rows import SEVERITY_RANK
from ktui.model.row_filter import RowFilter, matches_selector, parse_selector

COLUMNS: dict[str, tuple[str, ...]] = {
    "Service": ("NAME", "TYPE", "CLUSTER-IP", "PORTS", "SELECTOR", "ENDPOINTS", "AGE", "VERDICT"),
    "Ingress": ("NAME", "CLASS", "HOSTS", "ADDRESS", "BACKENDS", "AGE", "VERDICT"),
    "Deployment": ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "VERDICT"),
    "ReplicaSet": ("NAME", "DESIRED", "CURRENT", "READY", "AGE", "VERDICT"),
    "Node": ("NAME", "STATUS", "ROLES", "AGE", "VERDICT"),
}
"""The columns of each kind's list, in order; ``ObjectRow.cells`` follows them."""

SORT_KEYS = ("severity", "name", "age")
"""Orders the object lists offer."""

ROLE_PREFIX = "node-role.kubernetes.io/"


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """One line of an object list: cells as strings (``COLUMNS[kind]``), plus sort and filter keys."""

    uid: str
    kind: str
    namespace: str
    name: str
    cells: tuple[str, ...]
    severity: str
    created: float
    labels: tuple[tuple[str, str], ...]
    search_text: str
    pods_query: str = ""
    """The pod-list filter that lists this object's pods ("" when it has none to list)."""

    def cell(self, column: str) -> str:
        """The value of one column."""
        return self.cells[COLUMNS[self.kind].index(column)]


def row_key(obj: Any) -> str:
    """An object's row uid: its uid, or kind/namespace/name without one (the findings' subject key)."""
    meta = obj.metadata
    return meta.uid or f"{obj.kind}/{meta.namespace}/{meta.name}"


def with_verdict(row: ObjectRow, severity: str, summary: str) -> ObjectRow:
    """The row with another verdict and first finding (what a re-diagnosis moves): as ``_row`` makes it."""
    cells = row.cells
    if severity == row.severity and summary == cells[-1]:
        return row
    search_text = f"{row.namespace}/{row.name} {' '.join(cells[1:-2])} {summary}".lower()
    return replace(row, severity=severity, cells=(*cells[:-1], summary), search_text=search_text)


def _row(
    obj: Any,
    now: Any,
    verdicts: Mapping[str, str],
    summaries: Mapping[str, str],
    cells: tuple[str, ...],
    pods_query: str = "",
) -> ObjectRow:
    """Assemble a row: NAME first, then the kind's cells, AGE and VERDICT as COLUMNS orders them."""
    meta = obj.metadata
    uid = row_key(obj)
    created = meta.creation_timestamp
    summary = summaries.get(uid, "")
    named = (meta.name, *cells, since(created, now), summary)
    return ObjectRow(
        uid=uid,
        kind=obj.kind,
        namespace=meta.namespace,
        name=meta.name,
        cells=named,
        severity=verdicts.get(uid, "info"),
        created=created.timestamp() if created else 0.0,
        labels=tuple(sorted((meta.labels or {}).items())),
        search_text=f"{meta.namespace}/{meta.name} {' '.join(cells)} {summary}".lower(),
        pods_query=pods_query,
    )


# --------------------------------------------------------------------------- selectors


def selector_query(match_labels: Mapping[str, str] | None, expressions: Iterable[Any] = ()) -> str:
    """A label selector as the pod filter's ``-l`` query ("" when it selects nothing)."""
    terms = [f"{k}={v}" for k, v in sorted((match_labels or {}).items())]
    for expr in expressions:
        values = ",".join(expr.values or ())
        terms.append(
            {
                "In": f"{expr.key} in ({values})",
                "NotIn": f"{expr.key} notin ({values})",
                "Exists": expr.key,
                "DoesNotExist": f"!{expr.key}",
            }.get(expr.operator, "")
        )
    terms = [t for t in terms if t]
    return f"-l {','.join(terms)}" if terms else ""


def _workload_query(obj: r.Deployment | r.ReplicaSet) -> str:
    sel = obj.spec.selector
    return selector_query(sel.match_labels, sel.match_expressions) if sel is not None else ""


# --------------------------------------------------------------------------- services


def service_ports_text(svc: r.Service) -> str:
    """``80→web`` per port (``80:30080→http`` with a nodePort, ``/UDP`` when not TCP)."""
    parts = []
    for sp in svc.spec.ports:
        text = str(sp.port)
        if sp.node_port:
            text += f":{sp.node_port}"
        target = sp.target_port
        if target not in (None, 0, sp.port):
            text += f"→{target}"
        if sp.protocol and sp.protocol != "TCP":
            text += f"/{sp.protocol}"
        parts.append(text)
    return ",".join(parts) or "<none>"


def _endpoint_counts(snapshot: r.ClusterSnapshot) -> dict[tuple[str, str], tuple[int, int]]:
    """(namespace, service) -> (ready, total) endpoints, from EndpointSlices else core Endpoints."""
    counts: dict[tuple[str, str], list[int]] = {}
    for sl in snapshot.endpoint_slices:
        key = (sl.metadata.namespace, sl.service_name)
        tally = counts.setdefault(key, [0, 0])
        for ep in sl.endpoints or ():
            tally[1] += 1
            # ready=None means unknown, which consumers treat as ready (discovery/v1).
            tally[0] += ep.conditions.ready is not False
    for eps in snapshot.endpoints:
        key = (eps.metadata.namespace, eps.metadata.name)
        if key in counts:
            continue  # slices are the authority when both exist
        ready = sum(len(s.addresses) for s in eps.subsets)
        counts[key] = [ready, ready + sum(len(s.not_ready_addresses) for s in eps.subsets)]
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _endpoints_unknown(snapshot: r.ClusterSnapshot) -> bool:
    return any(k in snapshot.forbidden for k in ("list endpointslices", "watch endpointslices"))


def service_rows(
    snapshot: r.ClusterSnapshot, verdicts: Mapping[str, str], summaries: Mapping[str, str] | None = None
) -> tuple[ObjectRow, ...]:
    """Rows of every Service."""
    counts = _endpoint_counts(snapshot)
    unknown = _endpoints_unknown(snapshot)
    rows = []
    for svc in snapshot.services:
        spec = svc.spec
        selector = ",".join(f"{k}={v}" for k, v in sorted((spec.selector or {}).items()))
        if spec.type == "ExternalName":
            endpoints = f"→ {spec.external_name or '?'}"
        elif unknown:
            endpoints = "?"
        else:
            ready, total = counts.get((svc.metadata.namespace, svc.metadata.name), (0, 0))
            endpoints = f"{ready}/{total}"
        cells = (
            spec.type,
            spec.cluster_ip or "<none>",
            service_ports_text(svc),
            selector or "<none>",
            endpoints,
        )
        query = selector_query(spec.selector)
        rows.append(_row(svc, snapshot.now, verdicts, summaries or {}, cells, pods_query=query))
    return tuple(rows)


# --------------------------------------------------------------------------- ingresses


def ingress_rows(
    snapshot: r.ClusterSnapshot, verdicts: Mapping[str, str], summaries: Mapping[str, str] | None = None
) -> tuple[ObjectRow, ...]:
    """Rows of every Ingress; its pods query is the selector of its one backend Service, if one."""
    services = {(s.metadata.namespace, s.metadata.name): s for s in snapshot.services}
    rows = []
    for ing in snapshot.ingresses:
        ns = ing.metadata.namespace
        class_name, _ = ingress_class_of(snapshot, ing)
        routes = ingress_routes(ing)
        hosts = sorted({host for host, _, _, _ in routes if host}) or ["*"]
        backends: list[str] = []
        for _, _, _, backend in routes:
            if backend.service is None:
                kind = (backend.resource or {}).get("kind", "resource")
                text = f"{kind}/{(backend.resource or {}).get('name', '?')}"
            else:
                port = backend.service.port.number or backend.service.port.name
                text = f"{backend.service.name}:{port}" if port is not None else backend.service.name
            if text not in backends:
                backends.append(text)
        lb = ing.status.load_balancer.ingress
        address = ",".join(a.ip or a.hostname or "" for a in lb) or ""
        targets = {b.service.name for _, _, _, b in routes if b.service is not None}
        behind = [services[(ns, name)] for name in sorted(targets) if (ns, name) in services]
        queries = {selector_query(s.spec.selector) for s in behind}
        cells = (class_name or "<none>", ",".join(hosts), address, ",".join(backends) or "<none>")
        query = queries.pop() if len(queries) == 1 else ""
        rows.append(_row(ing, snapshot.now, verdicts, summaries or {}, cells, pods_query=query))
    return tuple(rows)


# --------------------------------------------------------------------------- workloads


def deployment_rows(
    snapshot: r.ClusterSnapshot, verdicts: Mapping[str, str], summaries: Mapping[str, str] | None = None
) -> tuple[ObjectRow, ...]:
    """Rows of every Deployment: READY ready/desired, UP-TO-DATE, AVAILABLE as kubectl prints them."""
    return tuple(deployment_row(dep, snapshot.now, verdicts, summaries or {}) for dep in snapshot.deployments)


def deployment_row(
    dep: r.Deployment, now: Any, verdicts: Mapping[str, str], summaries: Mapping[str, str]
) -> ObjectRow:
    """One Deployment's row (it reads nothing but the Deployment)."""
    st = dep.status
    desired = dep.spec.replicas if dep.spec.replicas is not None else 1
    ready = f"{st.ready_replicas or 0}/{desired}"
    cells = (ready, str(st.updated_replicas or 0), str(st.available_replicas or 0))
    return _row(dep, now, verdicts, summaries, cells, pods_query=_workload_query(dep))


def replica_set_rows(
    snapshot: r.ClusterSnapshot, verdicts: Mapping[str, str], summaries: Mapping[str, str] | None = None
) -> tuple[ObjectRow, ...]:
    """Rows of every ReplicaSet: DESIRED, CURRENT, READY."""
    return tuple(replica_set_row(rs, snapshot.now, verdicts, summaries or {}) for rs in snapshot.replica_sets)


def replica_set_row(
    rs: r.ReplicaSet, now: Any, verdicts: Mapping[str, str], summaries: Mapping[str, str]
) -> ObjectRow:
    """One ReplicaSet's row (it reads nothing but the ReplicaSet)."""
    st = rs.status
    desired = rs.spec.replicas if rs.spec.replicas is not None else 1
    cells = (str(desired), str(st.replicas or 0), str(st.ready_replicas or 0))
    return _row(rs, now, verdicts, summaries, cells, pods_query=_workload_query(rs))


# --------------------------------------------------------------------------- nodes


def node_status(node: r.Node) -> str:
    """kubectl's node STATUS: Ready / NotReady / Unknown, with ``,SchedulingDisabled`` when cordoned."""
    ready = next((c for c in node.status.conditions if c.type == "Ready"), None)
    if ready is None:
        status = "Unknown"
    else:
        status = {"True": "Ready", "False": "NotReady"}.get(ready.status, "Unknown")
    if node.spec.unschedulable:
        status += ",SchedulingDisabled"
    return status


def node_roles(node: r.Node) -> str:
    """ROLES from ``node-role.kubernetes.io/<role>`` labels (and ``kubernetes.io/role``)."""
    labels = node.metadata.labels or {}
    roles = {k.removeprefix(ROLE_PREFIX) for k in labels if k.startswith(ROLE_PREFIX)}
    if labels.get("kubernetes.io/role"):
        roles.add(labels["kubernetes.io/role"])
    return ",".join(sorted(r_ for r_ in roles if r_)) or "<none>"


def node_rows(
    snapshot: r.ClusterSnapshot, verdicts: Mapping[str, str], summaries: Mapping[str, str] | None = None
) -> tuple[ObjectRow, ...]:
    """Rows of every Node; Enter lists the pods on it (a text filter on the node name)."""
    return tuple(
        _row(node, snapshot.now, verdicts, summaries or {}, (node_status(node), node_roles(node)),
             pods_query=node.metadata.name)
        for node in snapshot.nodes
    )


ROW_BUILDERS: dict[str, Callable[..., tuple[ObjectRow, ...]]] = {
    "Service": service_rows,
    "Ingress": ingress_rows,
    "Deployment": deployment_rows,
    "ReplicaSet": replica_set_rows,
    "Node": node_rows,
}
"""Kind -> its row builder."""

OWN_ROW: dict[str, Callable[..., ObjectRow]] = {"Deployment": deployment_row, "ReplicaSet": replica_set_row}
"""Kinds whose row reads only the object itself (and its verdict and age): kind -> one object's row."""


def objects_of(snapshot: r.ClusterSnapshot, kind: str) -> tuple[Any, ...]:
    """The snapshot's records of one kind."""
    field = r.SNAPSHOT_FIELD_BY_KIND[kind]
    records: tuple[Any, ...] = getattr(snapshot, field)
    return records


def object_rows(
    snapshot: r.ClusterSnapshot,
    verdicts: Mapping[str, str],
    summaries: Mapping[str, str] | None = None,
    kinds: Iterable[str] = tuple(ROW_BUILDERS),
) -> dict[str, tuple[ObjectRow, ...]]:
    """Rows of every listed kind: kind -> rows."""
    return {kind: ROW_BUILDERS[kind](snapshot, verdicts, summaries) for kind in kinds}


# --------------------------------------------------------------------------- filter and sort


def filter_object_rows(rows: Iterable[ObjectRow], query: str, problems_only: bool = False) -> list[ObjectRow]:
    """The rows that pass a filter-bar query (text, or ``-l``/``k=v`` selector on the object's labels).

    SelectorError for a bad selector, as the pod list does.
    """
    spec = RowFilter.parse(query, problems_only)
    requirements = parse_selector(spec.selector) if spec.selector else []
    out = []
    for row in rows:
        if spec.problems_only and row.severity == "info":
            continue
        if spec.text and spec.text not in row.search_text:
            continue
        if requirements and not matches_selector(dict(row.labels), requirements):
            continue
        out.append(row)
    return out


def sort_object_rows(rows: Iterable[ObjectRow], key: str, reverse: bool = False) -> list[ObjectRow]:
    """Worst first (``severity``), by ``name``, or youngest first (``age``); ties by namespace, name."""
    primary: Callable[[ObjectRow], Any] = {
        "severity": lambda row: SEVERITY_RANK.get(row.severity, 3),
        "age": lambda row: -row.created,
    }.get(key, lambda row: 0)
    return sorted(rows, key=lambda row: (primary(row), row.namespace, row.name), reverse=reverse)


# --------------------------------------------------------------------------- events


def object_events(snapshot: r.ClusterSnapshot, obj: Any) -> list[EventRow]:
    """Events about the object, its owners and (for a Deployment) its ReplicaSets; warnings first.

    A Deployment's own events say little ("Scaled up"); the failures that stop a rollout (quota,
    admission: ``FailedCreate``) are reported on its ReplicaSets, so those are included, labelled.
    """
    rows = scoped_events(snapshot, obj)
    if obj.kind == "Deployment":
        uid = obj.metadata.uid
        for rs in snapshot.replica_sets:
            if any(o.uid == uid for o in rs.metadata.owner_references):
                label = f"ReplicaSet/{rs.metadata.name}"
                rows += [
                    EventRow(e.type, e.reason, e.age, e.message, e.source, label, e.last_seen)
                    for e in scoped_events(snapshot, rs)
                    if not e.object  # the ReplicaSet's own; its owner's are already listed
                ]
        rows.sort(key=lambda e: (e.type != "Warning", -e.last_seen))
    return rows
