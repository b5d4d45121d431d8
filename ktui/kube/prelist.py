"""The first lists, read by a helper process while ktui imports and mounts its UI.

ktui's start is CPU-bound on one core: importing the kubernetes package and loading credentials
(~200 ms), importing Textual (~140 ms), then decoding the lists. ``Prelist.start`` forks a helper
before any of that: it loads the kubeconfig with the kubernetes package (as ``connect`` does), lists
every kind the feed lists, in the feed's order and with its queries, and sends the raw pages down a
pipe. Meanwhile the parent imports Textual and mounts; its connection (``Connection.deferred``)
loads the kubernetes package only when the first lists are in (``Connection.settle``), for the
watches that follow them.

Nothing depends on the helper: if it dies, the parent asks the server for the rest of each list,
from the page where the helper stopped; what the helper met (an API error such as 403 or 404, an
unreachable server) is raised to the reflector as if it had met it, and the reflector's retry
asks the server itself. A list's pages wait in the parent only up to ``BUDGET`` bytes
ahead of its decoding (the pipe holds the helper back, and pods, most of a cluster's bytes, come
first), so memory stays about what a direct list uses.

Hand-written because nothing packaged does it: a pipe of length-prefixed frames between a fork and
its parent (multiprocessing would pickle every page and start its own machinery threads).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import struct
import sys
import threading
from collections import deque
from typing import Any, cast

from ktui.kube.client import Connection, KubeError

BUDGET = 8 << 20
"""Bytes of pages a claimed list may hold read ahead of its decoding (~3 pages of 500 pods)."""
CONNECT_WAIT = 30.0
"""Seconds ``connection`` waits for the helper's verdict on the kubeconfig (an exec plugin may be slow)."""

_HEAD = struct.Struct("<BHI")  # frame type, kind index, payload length
_CONN, _PAGE, _END, _STATUS, _FAIL, _FATAL = range(1, 7)


def list_plan() -> tuple[tuple[str, ...], int, int]:
    """The kinds in the order the feed lists them (pods first: its first screen), and the page sizes
    of a first list (the reflector's). Imported when needed: the parent forks before loading them."""
    from ktui.kube.api import PAGE_SIZE, RESOURCES
    from ktui.kube.reflector import FIRST_PAGE

    return ("Pod", *(k for k in RESOURCES if k != "Pod")), PAGE_SIZE, FIRST_PAGE


class PageStream:
    """One kind's pages from the helper, taken in order by one list (``next_page``)."""

    def __init__(self, owner: Prelist) -> None:
        self._owner = owner
        self.pages: deque[bytes] = deque()
        self.done = False
        self.error: BaseException | None = None
        """What ended the helper's list early: an ApiStatusError to raise, or a fallback marker."""
        self.claimed = False
        self.dropped = False

    def next_page(self, stop: threading.Event | None) -> bytes | None:
        """The next raw page; None when the helper has no more (the caller asks the server from the
        continue token it holds). Raises the server's ApiStatusError the helper got."""
        owner = self._owner
        with owner.cond:
            while not self.pages and not self.done and not self.dropped:
                if stop is not None and stop.is_set():
                    return None
                owner.cond.wait(0.05)
            if self.pages:
                page = self.pages.popleft()
                owner.held -= len(page)
                owner.cond.notify_all()
                return page
            error = self.error
            self.error = None
        if error is not None and not isinstance(error, _Fallback):
            raise error
        return None

    def close(self) -> None:
        """The list is done with the helper's pages: drop any left (a relist asks the server)."""
        owner = self._owner
        with owner.cond:
            self.dropped = True
            if self.claimed and not owner.closed:
                owner.held -= sum(len(p) for p in self.pages)
            self.pages.clear()
            owner.cond.notify_all()


class _Fallback(Exception):
    """The helper ended before the end of a list: the parent reads the rest from the server."""


def _helper_error(doc: dict[str, Any]) -> Exception:
    """The helper's network failure, raised to the list as if the parent had met it (the
    reflector reports it and retries, from the server)."""
    from ktui.kube import api

    message = str(doc.get("message", ""))
    if doc.get("error") == "Unreachable":
        return api.Unreachable(message)
    if doc.get("error") == "StreamDropped":
        return api.StreamDropped(message, idle=bool(doc.get("idle")))
    return KubeError(message)


class Prelist:
    """The parent's side: a reader thread that sorts the helper's frames into page streams."""

    def __init__(self, pid: int | None, rfd: int, label_selector: str | None) -> None:
        self.pid = pid
        """The helper's process (None: the frames come from elsewhere, nothing to signal or reap)."""
        self.label_selector = label_selector
        self.cond = threading.Condition()
        self.held = 0
        """Bytes of claimed lists' pages read and not yet taken."""
        self.info: dict[str, Any] | None = None
        self.fatal: str | None = None
        self._kinds: list[str] = []
        self._streams: dict[str, PageStream] = {}
        self._query: tuple[Any, ...] = ()
        self.closed = False
        self._reaped = False
        self._file = os.fdopen(rfd, "rb", buffering=0)
        self._thread = threading.Thread(target=self._read, name="ktui-prelist", daemon=True)
        self._thread.start()

    # ---- start ----------------------------------------------------------------------------------

    @classmethod
    def start(cls, kubeconfig: str | None, context: str | None, *, all_namespaces: bool,
              namespace: str | None, label_selector: str | None) -> Prelist | None:
        """Fork the helper; None where that cannot be done safely (no fork, threads already running)."""
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return None  # a fork copies no other thread: one holding a lock would leave it held
        rfd, wfd = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(rfd)
            os.close(wfd)
            return None
        if pid == 0:  # the helper
            os.close(rfd)
            _helper_main(wfd, kubeconfig, context, all_namespaces, namespace, label_selector)
        os.close(wfd)
        _widen_pipe(rfd)
        return cls(pid, rfd, label_selector)

    def connection(self, timeout: float = CONNECT_WAIT) -> tuple[Connection, str | None]:
        """The deferred connection and the namespace listed (None: all), once the helper loaded the
        kubeconfig; KubeError with its one line if that failed."""
        with self.cond:
            self.cond.wait_for(lambda: self.info is not None or self.fatal is not None, timeout)
            info, fatal = self.info, self.fatal
        if info is None:
            self.close()
            raise KubeError(fatal or "the kubeconfig could not be loaded (its helper process ended)")
        conn = Connection.deferred(info["context"], info["namespace"], info["server"],
                                   info["kubeconfig"], info["user"], prelisted=self)
        return conn, info["listed"]

    # ---- the parent's lists ---------------------------------------------------------------------

    def claim(self, kind: str, *, path_query: tuple[Any, ...]) -> PageStream | None:
        """The helper's pages for the first list of ``kind``, if it is the list the helper read."""
        info = self.info or {}
        wanted = (info.get("listed"), self.label_selector if kind == "Pod" else None, *self._query)
        with self.cond:
            stream = self._streams.get(kind)
            if stream is None or stream.claimed or self.closed:
                return None
            if path_query != wanted:
                # Not the list the helper read (another namespace by now): its pages are of no use.
                self.close()
                return None
            stream.claimed = True
            self.held += sum(len(p) for p in stream.pages)
            self.cond.notify_all()
            return stream

    def close(self) -> None:
        """Stop reading: the helper ends at its next write; lists not claimed ask the server."""
        with self.cond:
            if self.closed:
                return
            self.closed = True
            for stream in self._streams.values():
                stream.dropped = True
                stream.pages.clear()
            self.held = 0
            self.cond.notify_all()
            if self._reaped or self.pid is None:
                return
            with contextlib.suppress(OSError):  # it may be waiting for a slow server, not writing
                os.kill(self.pid, signal.SIGTERM)

    def join(self, timeout: float) -> bool:
        """Wait until the helper ended and was reaped; True if it did within ``timeout``."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ---- the reader thread ------------------------------------------------------------------------

    def _read(self) -> None:
        try:
            while not self.closed:
                head = self._read_exact(_HEAD.size)
                if head is None:
                    break
                ftype, index, size = _HEAD.unpack(head)
                self._wait_for_room()
                payload = self._read_exact(size) if size else b""
                if payload is None:
                    break
                self._frame(ftype, index, payload)
        except OSError:
            pass
        finally:
            self._ended()

    def _read_exact(self, size: int) -> bytes | None:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = self._file.readinto(view[got:])
            if not n:
                return None
            got += n
        # Not copied into bytes (~8 ms and a second copy for 60 MB of pages): every reader of a page
        # (msgspec, ``bytes.find``-style scans) takes a bytearray alike.
        return cast(bytes, buf)

    def _wait_for_room(self) -> None:
        """Hold the helper back (by not reading) while a claimed list has BUDGET bytes waiting."""
        with self.cond:
            self.cond.wait_for(lambda: self.held < BUDGET or self.closed)

    def _frame(self, ftype: int, index: int, payload: bytes) -> None:
        if ftype == _CONN:
            info = json.loads(payload)
            with self.cond:
                self._kinds = list(info["kinds"])
                self._query = tuple(info["query"])
                self._streams = {kind: PageStream(self) for kind in self._kinds}
                self.info = info
                self.cond.notify_all()
            return
        if ftype == _FATAL:
            with self.cond:
                self.fatal = payload.decode("utf-8", "replace")
                self.cond.notify_all()
            return
        stream = self._streams[self._kinds[index]]
        with self.cond:
            if ftype == _PAGE:
                if not stream.dropped:
                    stream.pages.append(payload)
                    if stream.claimed:
                        self.held += len(payload)
            else:
                stream.done = True
                if ftype == _STATUS:
                    from ktui.kube.api import ApiStatusError

                    doc = json.loads(payload)
                    stream.error = ApiStatusError(int(doc["code"]), str(doc["reason"]), str(doc["message"]))
                elif ftype == _FAIL:
                    stream.error = _helper_error(json.loads(payload))
            self.cond.notify_all()

    def _ended(self) -> None:
        with self.cond:
            for stream in self._streams.values():
                if not stream.done:
                    stream.done = True
                    stream.error = _Fallback("the helper process ended")
            if self.info is None and self.fatal is None:
                self.fatal = "the kubeconfig could not be loaded (its helper process ended)"
            self.cond.notify_all()
        self._file.close()
        if self.pid is not None:
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
        with self.cond:
            self._reaped = True


def _widen_pipe(fd: int) -> None:
    """1 MB pipe buffer (Linux): a 3 MB page crosses in 3 reads, not 48."""
    import fcntl

    setsz = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsz is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsz, 1 << 20)


# ---- the helper process -------------------------------------------------------------------------


class _Writer:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, ftype: int, index: int, payload: bytes = b"") -> None:
        os.write(self.fd, _HEAD.pack(ftype, index, len(payload)))
        view = memoryview(payload)
        while view:
            view = view[os.write(self.fd, view):]


def _helper_main(wfd: int, kubeconfig: str | None, context: str | None, all_namespaces: bool,
                 namespace: str | None, label_selector: str | None) -> None:
    """The forked helper: connect, list, send; never returns (exits without the parent's atexit)."""
    code = 0
    # The parent's exit handlers are not the helper's: one may remove what the parent still uses
    # (a TemporaryDirectory's clean-up removed `ktui demo`'s kubeconfig). Only those registered
    # from here on run at its end: the kubernetes package's, for its temporary credential files.
    atexit._clear()
    try:
        # SIGTERM (the parent closed) ends it through the finally below, so the kubernetes
        # package's temporary credential files are removed (its atexit hook).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        import gc

        gc.disable()  # a short life: nothing to collect that exit does not free
        _helper_lists(_Writer(wfd), kubeconfig, context, all_namespaces, namespace, label_selector)
    except BaseException:  # BrokenPipe (the parent went), SystemExit, anything: just end
        code = 1
    finally:
        try:
            atexit._run_exitfuncs()  # the kubernetes package's temporary credential files
        finally:
            os._exit(code)


def _helper_lists(out: _Writer, kubeconfig: str | None, context: str | None, all_namespaces: bool,
                  namespace: str | None, label_selector: str | None) -> None:
    from ktui.kube.client import connect

    try:
        conn = connect(kubeconfig, context)
    except KubeError as exc:
        out.send(_FATAL, 0, exc.message.encode())
        return
    from ktui import decode
    from ktui.kube import api, listing

    kinds, page_size, first_page = list_plan()
    listed = conn.scope(all_namespaces, namespace)
    info = {"context": conn.context, "namespace": conn.namespace, "server": conn.server,
            "kubeconfig": conn.kubeconfig, "user": conn.user, "listed": listed,
            "kinds": kinds, "query": [page_size, first_page]}
    out.send(_CONN, 0, json.dumps(info).encode())
    # From here on nothing of the helper's may reach the terminal the parent's UI draws on.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    for index, kind in enumerate(kinds):
        resource = api.RESOURCES[kind]
        selector = label_selector if kind == "Pod" else None
        token: str | None = None
        try:
            while True:
                raw = api.get_bytes(conn, resource.path(listed),
                                    listing.list_query(page_size, first_page, selector, token))
                out.send(_PAGE, index, raw)
                token = decode.continue_token(raw)
                if not token:
                    break
            out.send(_END, index)
        except api.ApiStatusError as exc:
            out.send(_STATUS, index, json.dumps(
                {"code": exc.code, "reason": exc.reason, "message": exc.message}).encode())
        except KubeError as exc:
            doc = json.dumps({"error": type(exc).__name__, "message": exc.message,
                              "idle": bool(getattr(exc, "idle", False))}).encode()
            out.send(_FAIL, index, doc)
            if isinstance(exc, api.Unreachable):
                # The next kinds would each wait for the same wall (a connect timeout): say it for
                # them at once, and let the parent's reflectors retry it with their back-off.
                for later in range(index + 1, len(kinds)):
                    out.send(_FAIL, later, doc)
                return
