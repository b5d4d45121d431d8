"""Raw HTTP against the API server: GET and WATCH streams, as bytes (paged LISTs: ``listing``).

Requests go through the official client's ``ApiClient`` (auth headers, exec-plugin token refresh,
TLS, pooling) via ``param_serialize`` + ``call_api``; the response is the unread urllib3 response,
never a model. Status bodies of failed requests become ``ApiStatusError`` with the server's message;
transport failures become ``Unreachable`` (could not connect) or ``StreamDropped`` (lost mid-read).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from ktui.kube import chunked
from ktui.kube.client import Connection, KubeError
from ktui.kube.pages import decode_list_lenient as decode_list_lenient
from ktui.kube.pages import decode_object_lenient as decode_object_lenient
from ktui.kube.pages import drop_nulls as drop_nulls

if TYPE_CHECKING:
    import urllib3

# urllib3 is imported where a request is made or read, not with this module: a prelisted start
# (``prelist``) makes none until its first lists are in, and the import (~30 ms with http.client
# and ssl) would come before its first screen.

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
PAGE_SIZE = 500

Line = bytes | memoryview
"""One line of a watch body: a view into the read it came in (``iter_line_batches``)."""


@dataclass(frozen=True, slots=True)
class Resource:
    """Where a kind lives: ``/apis/apps/v1`` + ``deployments``, and whether it is namespaced."""

    kind: str
    prefix: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None) -> str:
        """The collection path, namespace-scoped when the kind is namespaced and one is given."""
        if self.namespaced and namespace:
            return f"{self.prefix}/namespaces/{namespace}/{self.plural}"
        return f"{self.prefix}/{self.plural}"


RESOURCES: dict[str, Resource] = {
    res.kind: res
    for res in (
        Resource("Pod", "/api/v1", "pods"),
        Resource("Service", "/api/v1", "services"),
        Resource("EndpointSlice", "/apis/discovery.k8s.io/v1", "endpointslices"),
        Resource("Ingress", "/apis/networking.k8s.io/v1", "ingresses"),
        Resource("IngressClass", "/apis/networking.k8s.io/v1", "ingressclasses", namespaced=False),
        Resource("Event", "/api/v1", "events"),
        Resource("Node", "/api/v1", "nodes", namespaced=False),
        Resource("Namespace", "/api/v1", "namespaces", namespaced=False),
        Resource("PersistentVolumeClaim", "/api/v1", "persistentvolumeclaims"),
        Resource("PersistentVolume", "/api/v1", "persistentvolumes", namespaced=False),
        Resource("StorageClass", "/apis/storage.k8s.io/v1", "storageclasses", namespaced=False),
        Resource("ResourceQuota", "/api/v1", "resourcequotas"),
        Resource("ConfigMap", "/api/v1", "configmaps"),
        Resource("Secret", "/api/v1", "secrets"),
        Resource("ServiceAccount", "/api/v1", "serviceaccounts"),
        Resource("Deployment", "/apis/apps/v1", "deployments"),
        Resource("ReplicaSet", "/apis/apps/v1", "replicasets"),
        Resource("StatefulSet", "/apis/apps/v1", "statefulsets"),
        Resource("DaemonSet", "/apis/apps/v1", "daemonsets"),
        Resource("Job", "/apis/batch/v1", "jobs"),
    )
}
"""Every kind a ClusterSnapshot holds from a live cluster (Endpoints is read from dumps only)."""


class ApiStatusError(KubeError):
    """The server answered with an error Status (403, 404, 410, 500...)."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class Unreachable(KubeError):
    """The server could not be reached (refused, DNS, connect timeout, TLS)."""


class StreamDropped(KubeError):
    """An open response ended abnormally (reset, truncated chunk, read timeout)."""

    def __init__(self, message: str, *, idle: bool = False) -> None:
        super().__init__(message)
        self.idle = idle


class _Status(msgspec.Struct, frozen=True, gc=False):
    message: str = ""
    reason: str = ""
    code: int = 0


def status_error(code: int, reason: str, body: bytes) -> ApiStatusError:
    """An ApiStatusError from a response's status line and (Status JSON) body."""
    try:
        st = msgspec.json.decode(body, type=_Status)
        if st.message:
            return ApiStatusError(st.code or code, st.reason or reason, st.message)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    text = body.decode("utf-8", "replace").strip()[:200]
    if text:
        return ApiStatusError(code, reason, f'{code} {reason}: an error on the server ("{text}")')
    return ApiStatusError(code, reason, f"{code} {reason}")


def _transport_error(conn: Connection, exc: BaseException) -> KubeError:
    import urllib3
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):  # rest.py turns urllib3's SSLError into ApiException(0)
        text = " ".join(str(exc.reason or exc).split())
        return Unreachable(f"TLS error talking to {conn.server}: {text}")
    cause = getattr(exc, "reason", None) or exc
    text = str(cause)
    # urllib3 prefixes "<connection object at 0x..>: "; keep only what the user can act on.
    if ">: " in text:
        text = text.split(">: ", 1)[1]
    if isinstance(exc, urllib3.exceptions.SSLError):
        return Unreachable(f"TLS error talking to {conn.server}: {text}")
    return Unreachable(f"cannot reach {conn.server}: {text}")


class Abortable:
    """The response one thread is reading, so that another thread can stop it promptly."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop or threading.Event()
        self._resp: urllib3.HTTPResponse | None = None
        self._linked: list[Abortable] = []
        self._lock = threading.Lock()

    def attach(self, resp: urllib3.HTTPResponse | None) -> None:
        """Remember resp (None to forget); abort it at once if stop was already requested."""
        with self._lock:
            self._resp = resp
        if resp is not None and self.stop.is_set():
            abort(resp)

    def abort(self) -> None:
        """Set stop and unblock the read in progress, if any, and those of the linked ones."""
        self.stop.set()
        with self._lock:
            resp, linked = self._resp, list(self._linked)
        abort(resp)
        for other in linked:
            other.abort()

    def link(self, other: Abortable) -> None:
        """Abort ``other`` too when this one is aborted (a read another thread does for us)."""
        with self._lock:
            self._linked.append(other)
        if self.stop.is_set():  # aborted before the link: abort() did not see it
            other.abort()

    def unlink(self, other: Abortable) -> None:
        """Undo ``link``."""
        with self._lock:
            if other in self._linked:
                self._linked.remove(other)


def finish(resp: urllib3.HTTPResponse, *, reusable: bool) -> None:
    """Give the connection back to the pool, closing it first unless the body was read cleanly."""
    import urllib3

    if not reusable:
        with contextlib.suppress(OSError, urllib3.exceptions.HTTPError):
            resp.close()
    resp.release_conn()


def open_stream(
    conn: Connection,
    path: str,
    query: list[tuple[str, Any]] | None = None,
    *,
    read_timeout: float = READ_TIMEOUT,
    accept: str = "application/json",
    ctl: Abortable | None = None,
) -> urllib3.HTTPResponse:
    """GET path and return the unread 2xx response; ApiStatusError / Unreachable otherwise."""
    import urllib3

    if ctl is not None and ctl.stop.is_set():
        raise Unreachable("stopped")
    api = conn.api_client
    # Imported here, not with this module: the kubernetes package loads with the client (see client).
    from kubernetes.client.exceptions import ApiException
    try:
        _, url, headers, _, _ = api.param_serialize(
            "GET", path, query_params=query or [], header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        rest = api.call_api("GET", url, header_params=headers,
                            _request_timeout=(CONNECT_TIMEOUT, read_timeout))
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise StreamDropped(f"{conn.server}: no response within {read_timeout:g}s ({exc})",
                            idle=True) from None
    except (urllib3.exceptions.HTTPError, ApiException, OSError) as exc:
        raise _transport_error(conn, exc) from None
    resp: urllib3.HTTPResponse = rest.response
    if ctl is not None:
        ctl.attach(resp)
    if resp.status >= 400:
        try:
            body = resp.read()
        except (urllib3.exceptions.HTTPError, OSError):
            body = b""
        finally:
            resp.release_conn()
        err = status_error(resp.status, resp.reason or "", body)
        if resp.status == 401:
            plain = err.message.strip().lower() in ("unauthorized", "401 unauthorized")
            detail = "" if plain else f": {err.message}"
            raise ApiStatusError(401, err.reason, f"{conn.server}: Unauthorized{detail} "
                                 f"(check the credentials of context {conn.context})")
        raise err
    return resp


def get_bytes(conn: Connection, path: str, query: list[tuple[str, Any]] | None = None,
              *, read_timeout: float = READ_TIMEOUT, accept: str = "application/json",
              ctl: Abortable | None = None) -> bytes:
    """GET path and return the whole body."""
    import urllib3

    resp = open_stream(conn, path, query, read_timeout=read_timeout, accept=accept, ctl=ctl)
    ok = False
    try:
        data = resp.read()
        ok = True
        return data
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise StreamDropped(f"reading {path} from {conn.server}: {exc}",
                            idle=isinstance(exc, urllib3.exceptions.ReadTimeoutError)) from None
    finally:
        if ctl is not None:
            ctl.attach(None)
        finish(resp, reusable=ok)


def get_json(conn: Connection, path: str, *, timeout: float = READ_TIMEOUT) -> Any:
    """GET path and decode its JSON body."""
    raw = get_bytes(conn, path, read_timeout=timeout)
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise KubeError(f"{path}: the server sent invalid JSON: {exc}") from None


def abort(resp: urllib3.HTTPResponse | None) -> None:
    """Unblock a thread reading resp (shutdown wakes a blocked recv; close alone may not)."""
    if resp is None:
        return
    conn = getattr(resp, "_connection", None) or getattr(resp, "connection", None)
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def set_read_timeout(resp: urllib3.HTTPResponse, seconds: float | None) -> None:
    """Change the read timeout of an open response's socket (e.g. after a short header wait)."""
    conn = getattr(resp, "_connection", None) or getattr(resp, "connection", None)
    sock = getattr(conn, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(seconds)


def iter_chunks(resp: urllib3.HTTPResponse, stop: threading.Event | None = None) -> Iterator[bytes]:
    """The body as it arrives (what one read returned); StreamDropped if cut short."""
    import urllib3

    try:
        raw = chunked.raw_body(resp)
        if raw is not None:  # read in blocks and undone here: several us less per watch event
            yield from chunked.iter_body(resp, raw, stop)
        elif resp.chunked and resp.supports_chunked_reads():
            for chunk in resp.read_chunked(None, decode_content=True):
                if chunk:
                    yield chunk
                if stop is not None and stop.is_set():
                    return
        else:
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    return
                yield chunk
                if stop is not None and stop.is_set():
                    return
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
        raise StreamDropped(f"no data for {exc}", idle=True) from None
    except chunked.ChunkError as exc:
        raise StreamDropped(f"connection lost: {exc}") from None
    except (urllib3.exceptions.HTTPError, OSError, ValueError, AttributeError) as exc:
        # ValueError/AttributeError: the socket was shut down or closed under the reader by abort().
        if stop is not None and stop.is_set():
            return
        raise StreamDropped(f"connection lost: {exc}") from None


def iter_line_batches(resp: urllib3.HTTPResponse, stop: threading.Event | None = None
                      ) -> Iterator[list[Line]]:
    """Complete lines (without the newline) batched per read; a final unterminated line too.

    A line is a view into its read, not a copy: a storm's read holds ~40 pod events of ~7 KB, and
    copying each out (``split``) cost ~1.5 us of the ~9 us a pod line takes to decode. A view keeps
    its whole read alive: decode it, do not keep it.
    """
    pending = b""
    for chunk in iter_chunks(resp, stop):
        find = chunk.find
        nl = find(b"\n")
        if nl < 0:
            pending += chunk
            continue
        view = memoryview(chunk)
        # the line cut by the last read is joined alone, not the whole read to it
        lines: list[Line] = [pending + chunk[:nl] if pending else view[:nl]]
        pos = nl + 1
        while (nl := find(b"\n", pos)) >= 0:
            lines.append(view[pos:nl])
            pos = nl + 1
        pending = chunk[pos:]
        yield lines
    if pending and not (stop is not None and stop.is_set()):
        yield [pending]
