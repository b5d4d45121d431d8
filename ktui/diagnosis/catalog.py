"""The one catalog of finding categories: code, default severity, wording and next steps.

Rules state facts (a category and its parameters); every sentence the user reads is here, so wording
and severity change in one place (the popeye codes.yaml model). Templates use ``str.format`` fields;
a field a rule did not supply renders as ``?`` rather than failing.
"""

from __future__ import annotations

import string
from typing import Any, NamedTuple

from ktui.diagnosis.findings import Severity

E, W, INFO, U = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.UNKNOWN


class Entry(NamedTuple):
    """One category: its stable code, default severity, summary template and next steps."""

    code: str
    severity: Severity
    summary: str
    steps: tuple[str, ...] = ()


CATALOG: dict[str, Entry] = {
    "healthy": Entry("OK-000", INFO, "{state}"),
    "pods_loading": Entry("OK-001", INFO, "verdict once the pod list is read (it reads its pods)"),
    # ---------------------------------------------------------------- images
    "image_tag_not_found": Entry(
        "POD-IMG-001",
        E,
        "image {image} not found: the registry has no tag {tag} for {repo}",
        (
            "Check the image name and tag for typos; list the tags that exist in the registry.",
            "Fix the image in the pod template (or `kubectl set image`).",
        ),
    ),
    "image_pull_access_denied": Entry(
        "POD-IMG-002",
        E,
        "cannot pull image {image}: access denied by the registry ({why})",
        (
            "If the image is private, create a docker-registry Secret and list it in imagePullSecrets "
            "(of the pod or its ServiceAccount).",
            "If it should be public, check the repository name: registries answer 'denied' for names "
            "that do not exist.",
        ),
    ),
    "image_registry_unreachable": Entry(
        "POD-IMG-003",
        E,
        "cannot pull image {image}: registry {registry} unreachable ({why})",
        (
            "Check the registry host name, and DNS, firewall and proxy settings from the node.",
            "For x509 errors, trust the registry's CA on the nodes or fix its certificate.",
        ),
    ),
    "image_invalid_name": Entry(
        "POD-IMG-004",
        E,
        "image name {image} is not a valid image reference",
        ("Fix the image reference: [registry/]repository[:tag][@sha256:digest], lowercase.",),
    ),
    "image_never_pull": Entry(
        "POD-IMG-005",
        E,
        "image {image} is not on node {node} and imagePullPolicy is Never",
        (
            "Load the image onto the node (e.g. `kind load docker-image`), or set imagePullPolicy to "
            "IfNotPresent.",
        ),
    ),
    "image_pull_failed": Entry(
        "POD-IMG-006",
        E,
        "cannot pull image {image}: {why}",
        ("Read the kubelet's pull error in the events; try pulling the image by hand from a node.",),
    ),
    # ---------------------------------------------------------------- containers
    "app_crash": Entry(
        "POD-CTR-001",
        E,
        "container {container} {how} (exit code {exit_code}{meaning})",
        (
            "Read the logs of the crashed container: the application says why it stopped.",
            "Run the image locally with the same command, env and config to reproduce.",
        ),
    ),
    "oom_killed": Entry(
        "POD-CTR-002",
        E,
        "container {container} was killed for running out of memory{limit} ({restarts})",
        ("Raise resources.limits.memory, or find why the application uses more memory than expected.",),
    ),
    "bad_command": Entry(
        "POD-CTR-003",
        E,
        "container {container} cannot start its command: {why}",
        (
            "Fix command/args in the pod spec (they replace the image's ENTRYPOINT/CMD).",
            "Check the executable exists in the image: `docker run --entrypoint sh IMAGE -c 'which CMD'`.",
        ),
    ),
    "container_runtime_error": Entry(
        "POD-CTR-004",
        E,
        "the container runtime cannot run container {container}: {why}",
        (
            "Read the runtime error in the events; check volume mounts, securityContext and the image "
            "platform.",
        ),
    ),
    "config_reference_missing": Entry(
        "POD-CTR-005",
        E,
        "container {container} references {what}, which does not exist",
        (
            "Create the missing object or key in namespace {namespace}, or fix the name in the pod spec.",
            "Mark the reference optional: true if the app can run without it.",
        ),
    ),
    "readiness_probe_failure": Entry(
        "POD-CTR-006",
        E,
        "container {container} is not ready: its readiness probe fails ({why})",
        (
            "Check the probe's port and path against what the app serves; check the app's logs.",
            "Port-forward to the pod and request the probe endpoint yourself.",
        ),
    ),
    "liveness_probe_failure": Entry(
        "POD-CTR-007",
        E,
        "container {container} is restarted by its {probe} probe ({why})",
        (
            "Check the probe's port, path and timeouts; give slow starters a startupProbe or a larger "
            "initialDelaySeconds.",
        ),
    ),
    "container_creating_slow": Entry(
        "POD-CTR-008",
        W,
        "pod has been starting for {age}: {why}",
        ("Read the pod's events for mount, sandbox or network errors.",),
    ),
    # ---------------------------------------------------------------- scheduling and storage
    "unschedulable_insufficient_resources": Entry(
        "POD-SCH-001",
        E,
        "cannot be scheduled: no node has enough {resources} (requests {requests}; {nodes})",
        (
            "Lower the pod's requests, free capacity, or add nodes.",
            "Compare requests with node allocatable: `kubectl describe nodes`.",
        ),
    ),
    "unschedulable_node_selector": Entry(
        "POD-SCH-002",
        E,
        "cannot be scheduled: no node matches {selector} ({nodes})",
        ("Fix the nodeSelector/affinity, or label a node: `kubectl label node NODE key=value`.",),
    ),
    "unschedulable_taint": Entry(
        "POD-SCH-003",
        E,
        "cannot be scheduled: nodes have taint {taint} that the pod does not tolerate ({nodes})",
        ("Add a matching toleration to the pod, or remove the taint from the node.",),
    ),
    "unschedulable_pod_affinity": Entry(
        "POD-SCH-004",
        E,
        "cannot be scheduled: {rule} ({nodes})",
        ("Relax the pod (anti-)affinity or topology spread rules, or add nodes.",),
    ),
    "unschedulable": Entry(
        "POD-SCH-006",
        E,
        "cannot be scheduled: {why}",
        ("Read the scheduler's message in the events.",),
    ),
    "pvc_unbound": Entry(
        "POD-SCH-005",
        E,
        "waits for PersistentVolumeClaim {claim}: {why}",
        (
            "Check the claim's events and its StorageClass provisioner: `kubectl describe pvc {claim_name} "
            "-n {namespace}`.",
        ),
    ),
    "quota_exceeded": Entry(
        "POD-SCH-007",
        E,
        "cannot create pods: ResourceQuota {quota} {why}",
        ("Raise the quota, lower the pod's requests/limits, or remove other pods in the namespace.",),
    ),
    "pod_creation_failed": Entry(
        "WRK-003",
        E,
        "cannot create pods: {why}",
        (
            "Read the controller's FailedCreate events: an admission webhook, policy or missing "
            "ServiceAccount rejects the pods.",
        ),
    ),
    # ---------------------------------------------------------------- pod lifecycle
    "pod_evicted": Entry(
        "POD-LIF-001",
        W,
        "pod was evicted from node {node}: {why}",
        ("Set requests close to real usage; delete the evicted pod once understood.",),
    ),
    "pod_terminating_stuck": Entry(
        "POD-LIF-002",
        W,
        "pod has been terminating for {age}{why}",
        ("Check finalizers and the node; `kubectl delete pod --grace-period=0 --force` as a last resort.",),
    ),
    "pod_pending": Entry(
        "POD-LIF-003",
        W,
        "pod is {state} for {age}{why}",
        ("Read the pod's events.",),
    ),
    "pod_not_ready": Entry(
        "POD-LIF-005",
        W,
        "container {container} is running but not ready{why}",
        ("Read the pod's events and the container's logs.",),
    ),
    "pod_starting": Entry("POD-LIF-004", INFO, "pod is starting ({state}, {age} old)"),
    "restarts": Entry(
        "POD-LIF-006",
        W,
        "container {container} restarted {restarts} times, last {ago} ago ({last})",
        ("Read the previous container's logs.",),
    ),
    "probe_failed": Entry(
        "PRB-001",
        E,
        "probe failed: {why}",
        ("Re-run the probe; compare the tested port with the Service/container ports.",),
    ),
    # ---------------------------------------------------------------- services
    "service_selector_mismatch": Entry(
        "SVC-001",
        E,
        "selector {selector} matches no pod in namespace {namespace}{hint}",
        ("Fix the Service's selector (or the pods' labels) so they agree.",),
    ),
    "service_target_port_mismatch": Entry(
        "SVC-002",
        E,
        "port {port} sends traffic to targetPort {target}, which {why}",
        ("Set targetPort to a port the container listens on (number or containerPort name).",),
    ),
    "service_no_ready_endpoints": Entry(
        "SVC-003",
        E,
        "no ready endpoints: {why}",
        ("Fix the pods behind the Service; traffic only goes to ready pods.",),
    ),
    # ---------------------------------------------------------------- ingresses
    "ingress_backend_service_missing": Entry(
        "ING-001",
        E,
        "backend Service {service} does not exist (rule {rule})",
        ("Create the Service or fix the backend's service name.",),
    ),
    "ingress_backend_port_missing": Entry(
        "ING-002",
        E,
        "backend {service}:{port} — Service {service} has no port {port} (it has {ports})",
        ("Use one of the Service's port numbers or names in the backend.",),
    ),
    "ingress_backend_no_endpoints": Entry(
        "ING-003",
        E,
        "backend Service {service} has no ready endpoints: {why}",
        ("Fix the Service or its pods; the ingress controller answers 503 meanwhile.",),
    ),
    "ingress_class_missing": Entry(
        "ING-004",
        E,
        "{why}",
        ("Set spec.ingressClassName to an existing IngressClass (`kubectl get ingressclass`).",),
    ),
    "ingress_tls_secret_missing": Entry(
        "ING-005",
        E,
        "TLS Secret {secret} does not exist (hosts {hosts})",
        ("Create the TLS Secret (or its Certificate) in namespace {namespace}.",),
    ),
    "ingress_controller_not_running": Entry(
        "ING-006",
        E,
        "no running ingress controller for class {ingress_class}: {why}",
        ("Check the controller's pods: `kubectl get pods -A -l {selector}`.",),
    ),
    # ---------------------------------------------------------------- workloads
    "deployment_rollout_stuck": Entry(
        "WRK-001",
        E,
        "rollout is stuck: {why}",
        ("Check `kubectl rollout status`; roll back with `kubectl rollout undo` if the new version is bad.",),
    ),
    "job_failed": Entry(
        "WRK-002",
        E,
        "job failed: {why}",
        ("Read the logs of the failed pods.",),
    ),
    "workload_progressing": Entry("WRK-005", INFO, "{why}"),
    # ---------------------------------------------------------------- nodes and volumes
    "node_not_ready": Entry(
        "NODE-001",
        E,
        "node {node} is not ready: {why}",
        ("Check the kubelet and container runtime on the node; `kubectl describe node {node}`.",),
    ),
    "node_pressure": Entry(
        "NODE-002",
        W,
        "node {node} reports {conditions}",
        ("Free resources on the node or move workloads; the kubelet evicts pods under pressure.",),
    ),
    "node_cordoned": Entry("NODE-003", INFO, "node {node} is cordoned (no new pods are scheduled)"),
    "pvc_lost": Entry("PVC-003", E, "claim lost its PersistentVolume {volume}"),
    "pvc_waiting": Entry("PVC-002", INFO, "{why}"),
    # ---------------------------------------------------------------- could not check
    "cannot_verify": Entry(
        "RBAC-001",
        U,
        "cannot verify {what}: {why}",
        (
            "Ask for the missing permission (`kubectl auth can-i {verb} {resource} -n {namespace}`) "
            "or run with a kubeconfig that has it.",
        ),
    ),
}
"""Every category ktui can report, by name."""


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(template: str, params: dict[str, Any]) -> str:
    """Fill a catalog template; unknown fields become '?' instead of raising."""
    parts = _PLAIN.get(template)
    if parts is None:
        parts = _PLAIN[template] = _plain(template) if len(_PLAIN) < 4096 else ()
    if not parts:
        return template.format_map(_Lenient(params))
    # the usual template, plain {name} fields: what format_map gives, without copying params
    if len(parts) == 1 and not parts[0][0] and parts[0][1]:  # "{state}": the value itself
        value = params.get(parts[0][1], "?")
        return value if type(value) is str else format(value)
    out = []
    for literal, name in parts:
        out.append(literal)
        if name:
            value = params.get(name, "?")
            out.append(value if type(value) is str else format(value))
    return "".join(out)


def _plain(template: str) -> tuple[tuple[str, str], ...]:
    """(literal, field name) pairs of a template whose fields are bare names; () for any other."""
    try:
        parsed = tuple(string.Formatter().parse(template))
    except ValueError:
        return ()
    if any(name is not None and (not name.isidentifier() or spec or conv) for _, name, spec, conv in parsed):
        return ()
    return tuple((literal, name or "") for literal, name, _, _ in parsed) or (("", ""),)


_PLAIN: dict[str, tuple[tuple[str, str], ...]] = {}
"""Parsed templates (catalog sentences are few; dynamic ones are capped)."""


ROLLUP = "{count} of {total} pods failing; pod {pod}: {summary}"
"""How a workload states its pods' root cause."""

SERVICE_CAUSE = "pod {pod}: {summary}"
"""How a Service or Ingress names the pod fault behind it."""

BACKEND_CAUSE = "Service {service}: {summary}"
"""How an Ingress names its backend Service's fault."""

CLAIM_UNBOUND = "claim {claim} is not bound: {why}"
"""How a Service or Ingress names the pod fault behind it."""
