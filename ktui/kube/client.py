"""Connecting to a cluster the way kubectl does: kubeconfig files, contexts, in-cluster config.

The official ``kubernetes`` package is used only for what it is good at here: reading kubeconfig
(several files merged from ``KUBECONFIG``, exec and auth-provider plugins, client certificates) and
the authenticated urllib3 transport. Responses are never turned into its models: ``ktui.kube.api``
reads raw bytes and ``ktui.decode`` makes slim records of them.

``connect()`` does not touch the network, so a UI can open at once and show "unreachable" while it
retries; the first request (``Connection.check()``, a list, a watch) reports network, TLS and auth
problems as ``KubeError`` with one line of text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

_IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
IN_CLUSTER = "in-cluster"
"""The context name reported when running with the pod's service account."""


class KubeError(Exception):
    """A cluster access failure, carrying one line fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)


@dataclass(frozen=True, eq=False)
class Connection:
    """An authenticated way to reach one cluster (one kubeconfig context)."""

    context: str
    namespace: str
    server: str
    api_client: Any = field(repr=False)
    kubeconfig: str | None = field(default=None, repr=False)
    user: str = ""

    def contexts(self) -> list[str]:
        """Names of the contexts in the kubeconfig (just ``in-cluster`` when running in a pod)."""
        if self.context == IN_CLUSTER and self.kubeconfig is None:
            return [IN_CLUSTER]
        return [name for name, _ in _list_contexts(self.kubeconfig)[0]]

    def with_context(self, name: str) -> Connection:
        """A new connection to another context of the same kubeconfig."""
        if self.kubeconfig is None:
            raise KubeError(f'context "{name}" not found (running with the in-cluster config)')
        return _connect(self.kubeconfig, name)

    def check(self, timeout: float = 5.0) -> str:
        """GET /version: the server's gitVersion, or KubeError (unreachable, TLS, 401/403)."""
        from ktui.kube.api import get_json  # api imports this module: import late

        doc = get_json(self, "/version", timeout=timeout)
        return str(doc.get("gitVersion", "")) if isinstance(doc, dict) else ""

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        self.api_client.close()


def _config_paths(kubeconfig: str | None) -> str | None:
    """The kubeconfig path list to load (``a:b``), or None when no file exists."""
    if kubeconfig:
        path = os.path.expanduser(kubeconfig)
        if not os.path.isfile(path):
            raise KubeError(f"kubeconfig {kubeconfig} not found")
        return path
    # Read KUBECONFIG now: the client reads it once at import time.
    env = os.environ.get("KUBECONFIG", "")
    candidates = [p for p in env.split(os.pathsep) if p] if env else ["~/.kube/config"]
    existing = [os.path.expanduser(p) for p in candidates if os.path.isfile(os.path.expanduser(p))]
    return os.pathsep.join(existing) if existing else None


def _list_contexts(paths: str | None) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    if paths is None:
        return [], None
    try:
        contexts, current = k8s_config.list_kube_config_contexts(config_file=paths)
    except (ConfigException, OSError, ValueError) as exc:
        raise KubeError(f"kubeconfig: {exc}") from None
    except Exception as exc:  # yaml errors and the like: still one line, never a traceback
        raise KubeError(f"kubeconfig {paths}: {type(exc).__name__}: {exc}") from None
    items = [(str(c.get("name", "")), dict(c.get("context") or {})) for c in contexts or ()]
    return items, (str(current.get("name")) if current else None)


def _first_current_context(paths: str) -> str | None:
    """kubectl's rule: the first file that sets current-context wins (the client takes the last)."""
    for path in paths.split(os.pathsep):
        try:
            with open(path) as fh:
                doc = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and doc.get("current-context"):
            return str(doc["current-context"])
    return None


def _configuration() -> Any:
    cfg = k8s_client.Configuration()
    # Every reflector holds one connection for its watch; the default pool (5 x CPUs) would churn.
    cfg.connection_pool_maxsize = 48
    # ktui retries with its own back-off and reports state; urllib3's silent retries would hide it.
    cfg.retries = False
    return cfg


def _in_cluster() -> Connection:
    cfg = _configuration()
    try:
        k8s_config.load_incluster_config(client_configuration=cfg)
    except ConfigException as exc:
        raise KubeError(f"in-cluster config: {exc}") from None
    try:
        namespace = _IN_CLUSTER_NAMESPACE.read_text().strip() or "default"
    except OSError:
        namespace = "default"
    return Connection(IN_CLUSTER, namespace, cfg.host, k8s_client.ApiClient(cfg), None, "")


def connect(kubeconfig: str | None = None, context: str | None = None) -> Connection:
    """Load credentials as kubectl does (no network yet); KubeError with one line on failure."""
    paths = _config_paths(kubeconfig)
    if paths is None:
        if os.environ.get("KUBERNETES_SERVICE_HOST") and _IN_CLUSTER_TOKEN.exists():
            return _in_cluster()
        where = os.environ.get("KUBECONFIG") or "~/.kube/config"
        raise KubeError(f"no kubeconfig found ({where}); pass --kubeconfig or set KUBECONFIG")
    return _connect(paths, context)


def _connect(paths: str, context: str | None) -> Connection:
    contexts, current = _list_contexts(paths)
    name = context or _first_current_context(paths) or current
    if not name:
        raise KubeError("kubeconfig has no current context; pass --context")
    by_name = dict(contexts)
    if name not in by_name:
        known = ", ".join(sorted(by_name)) or "none"
        raise KubeError(f'context "{name}" not found in kubeconfig (available: {known})')
    cfg = _configuration()
    try:
        k8s_config.load_kube_config(
            config_file=paths, context=name, client_configuration=cfg, persist_config=False
        )
    except (ConfigException, OSError, ValueError) as exc:
        raise KubeError(f'kubeconfig context "{name}": {exc}') from None
    except Exception as exc:  # an exec plugin that fails, a bad certificate file...
        raise KubeError(f'kubeconfig context "{name}": {type(exc).__name__}: {exc}') from None
    ctx = by_name[name]
    return Connection(
        context=name,
        namespace=str(ctx.get("namespace") or "default"),
        server=str(cfg.host),
        api_client=k8s_client.ApiClient(cfg),
        kubeconfig=paths,
        user=str(ctx.get("user") or ""),
    )
