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
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The kubernetes package is imported where it is used, not here: its import (~200 ms) is the
# largest part of ktui's start, and a prelisted start (``ktui.kube.prelist``) leaves it to a helper
# process until the first lists are in.

_IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
_IN_CLUSTER_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
IN_CLUSTER = "in-cluster"
"""The context name reported when running with the pod's service account."""
SETTLE_WITHIN = 10.0
"""Seconds at most a deferred connection's watches wait for the first lists (``wait_settled``)."""


class KubeError(Exception):
    """A cluster access failure, carrying one line fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self)


class Connection:
    """An authenticated way to reach one cluster (one kubeconfig context).

    ``api_client`` is the kubernetes package's (credentials, token refresh, TLS, pooling). A
    connection made by ``deferred`` knows its context, namespace and server at once and makes its
    client on first use: a helper process read the first lists (``prelisted``), so ktui needs the
    network itself only for the watches that follow them (``wait_settled``) or for a user's request.
    """

    def __init__(self, context: str, namespace: str, server: str, api_client: Any = None,
                 kubeconfig: str | None = None, user: str = "") -> None:
        self.context = context
        self.namespace = namespace
        self.server = server
        self.kubeconfig = kubeconfig
        self.user = user
        self.prelisted: Any = None
        """The helper's pages of the first lists (``ktui.kube.prelist.Prelist``), or None."""
        self._client = api_client
        self._opener: Callable[[], Connection] | None = None
        self._lock = threading.Lock()
        self._settled = threading.Event()
        self._deadline = 0.0
        if api_client is not None:
            self._settled.set()

    def __repr__(self) -> str:
        return f"Connection(context={self.context!r}, namespace={self.namespace!r}, server={self.server!r})"

    @classmethod
    def deferred(cls, context: str, namespace: str, server: str, kubeconfig: str | None, user: str,
                 *, prelisted: Any = None, settle_within: float = SETTLE_WITHIN) -> Connection:
        """A connection whose client is made on first use (loading the kubeconfig then)."""
        conn = cls(context, namespace, server, None, kubeconfig, user)
        conn.prelisted = prelisted
        conn._opener = (lambda: _connect(kubeconfig, context)) if kubeconfig is not None else _in_cluster
        conn._deadline = time.monotonic() + settle_within
        return conn

    @property
    def api_client(self) -> Any:
        """The kubernetes ``ApiClient`` (made now if this connection was deferred); KubeError."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    assert self._opener is not None
                    from ktui.resources import collector

                    # ~200k long-lived objects (the kubernetes package): no collector passes over
                    # them while they load, and frozen after, as the CLI's own imports are.
                    with collector.paused():
                        self._client = self._opener().api_client
                    self._settled.set()
                client = self._client
        return client

    @property
    def opened(self) -> bool:
        """Whether the client exists (a deferred connection makes it on first use)."""
        return self._client is not None

    def settle(self) -> None:
        """The first lists are in: watches may start (``wait_settled`` returns)."""
        self._settled.set()

    def wait_settled(self, stop: threading.Event) -> bool:
        """Block a watch about to start until the first lists are in (``settle``), the client was
        made, or ``SETTLE_WITHIN`` passed; False if ``stop`` was set meanwhile.

        Loading the kubernetes package and credentials while the first lists are decoded would take
        the GIL from them; what changes meanwhile is in the watch (it starts from the lists'
        resourceVersion).
        """
        while not self._settled.is_set():
            left = self._deadline - time.monotonic()
            if stop.is_set() or left <= 0:
                break
            self._settled.wait(min(left, 0.05))
        return not stop.is_set()

    def scope(self, all_namespaces: bool, asked: str | None) -> str | None:
        """The namespace to list, as kubectl picks it: None for -A, else -n, else the context's."""
        return None if all_namespaces else (asked or self.namespace or "default")

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
        """Release the pooled HTTP connections (and drop what a helper still lists)."""
        if self.prelisted is not None:
            self.prelisted.close()
        if self._client is not None:
            self._client.close()


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
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException

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
    import yaml

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
    from kubernetes import client as k8s_client

    cfg = k8s_client.Configuration()
    # Every reflector holds one connection for its watch; the default pool (5 x CPUs) would churn.
    cfg.connection_pool_maxsize = 48
    # ktui retries with its own back-off and reports state; urllib3's silent retries would hide it.
    cfg.retries = False
    return cfg


def _in_cluster() -> Connection:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException

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
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.config.config_exception import ConfigException

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
