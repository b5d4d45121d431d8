"""Talk to a forwarded port: TCP connect, then HTTP GET a few times (status, first bytes, latency).

Works through a ``PortForwardSession``'s 127.0.0.1 listener, so what is measured is what a user's
browser would see through ``kubectl port-forward``. When a connection ends without a reply, the
session's record of that connection gives the reason the kubelet sent on the error channel
("connection refused"). Ports known to speak something else than HTTP get a TCP-only check.
"""

from __future__ import annotations

import socket
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ktui.kube.portforward import PortForwardSession

# The port-forward machinery, http.client and ssl are imported when a probe runs, not with this
# module: the UI imports the probes at start, and those imports (~20 ms) are not needed until a key.

NON_HTTP_PORTS = frozenset({21, 22, 25, 53, 110, 143, 389, 1433, 1521, 2181, 3306, 4222, 5432, 5672,
                            6379, 9042, 9092, 11211, 27017})
"""Well-known ports of protocols that are not HTTP: probed with a TCP connect only."""
NON_HTTP_NAMES = ("ssh", "smtp", "dns", "mysql", "postgres", "redis", "amqp", "mongo", "kafka", "grpc",
                  "memcache", "zookeeper", "ldap", "tcp")
TLS_PORTS = frozenset({443, 8443, 6443, 9443})


def is_http_port(number: int, name: str | None = None) -> bool:
    """Whether a port is worth an HTTP GET (vs TCP only), from its number and name."""
    low = (name or "").lower()
    if "http" in low or low in ("web", "metrics", "api", "ui"):
        return True
    if any(word in low for word in NON_HTTP_NAMES):
        return False
    return number not in NON_HTTP_PORTS


def uses_tls(number: int, name: str | None = None) -> bool:
    """Whether a port most likely speaks HTTPS."""
    low = (name or "").lower()
    return low.startswith("https") or (number in TLS_PORTS and "http" not in low.replace("https", ""))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One connection: an HTTP status (None for TCP-only or failure) or the error."""

    status: int | None = None
    reason: str = ""
    first_bytes: str = ""
    latency_ms: float = 0.0
    error: str | None = None
    http: bool = True


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every attempt against one forwarded port."""

    attempts: tuple[Attempt, ...]
    tcp_only: bool = False

    @property
    def error(self) -> str | None:
        """The first failure's text (None if every attempt got a reply)."""
        return next((a.error for a in self.attempts if a.error), None)

    @property
    def status_code(self) -> int | None:
        """The last HTTP status seen."""
        return next((a.status for a in reversed(self.attempts) if a.status is not None), None)

    @property
    def answered(self) -> bool:
        """Something answered: an HTTP response, or a TCP connection that was not refused."""
        return bool(self.attempts) and self.error is None

    @property
    def latency_ms(self) -> float | None:
        """Median latency of the successful attempts."""
        values = [a.latency_ms for a in self.attempts if a.error is None]
        return round(statistics.median(values), 1) if values else None

    @property
    def first_bytes(self) -> str:
        """The first bytes of the first reply, printable."""
        return next((a.first_bytes for a in self.attempts if a.first_bytes), "")

    def latency_text(self) -> str:
        """'3 requests, median 4.2 ms (3.1-6.0)'."""
        ok = [a.latency_ms for a in self.attempts if a.error is None]
        if not ok:
            return ""
        spread = f" ({min(ok):.1f}-{max(ok):.1f})" if len(ok) > 1 else ""
        noun = "connection" if self.tcp_only else "request"
        return f"{len(ok)} {noun}{'s' if len(ok) > 1 else ''}, median {self.latency_ms} ms{spread}"


def printable(data: bytes, limit: int = 160) -> str:
    """The first bytes of a reply as one line of text (never terminal control)."""
    text = data[:limit].decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def _failure(session: PortForwardSession, peer: int | None, exc: BaseException) -> str:
    import http.client

    rec = session.record_for(peer, timeout=3.0) if peer else None
    if rec is not None and rec.error:
        return rec.error
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError)):
        return "the connection was closed without a reply"
    if isinstance(exc, TimeoutError):
        return "no reply (timed out)"
    return f"{type(exc).__name__}: {exc}"


def http_get(session: PortForwardSession, *, path: str = "/", host: str | None = None, count: int = 3,
             timeout: float = 5.0, tls: bool = False) -> Outcome:
    """GET ``path`` ``count`` times through the forward (new connection each: the forward is tested too)."""
    import http.client
    import ssl

    from ktui.kube.portforward import LOOPBACK

    attempts: list[Attempt] = []
    for _ in range(count):
        conn: http.client.HTTPConnection
        if tls:
            # A probe checks reachability, not the certificate (issued for the real host name).
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(LOOPBACK, session.local_port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(LOOPBACK, session.local_port, timeout=timeout)
        peer: int | None = None
        start = time.perf_counter()
        try:
            conn.connect()
            peer = conn.sock.getsockname()[1] if conn.sock else None
            headers = {"User-Agent": "ktui-probe", "Accept": "*/*", "Connection": "close"}
            if host:
                headers["Host"] = host
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            elapsed = (time.perf_counter() - start) * 1000
            body = resp.read(512)
            attempts.append(Attempt(resp.status, resp.reason, printable(body), round(elapsed, 1)))
        except http.client.BadStatusLine as exc:
            # Something answered, but not in HTTP: report it as an open TCP port with its bytes.
            elapsed = (time.perf_counter() - start) * 1000
            line = getattr(exc, "line", "")
            line = line if isinstance(line, str) else ""
            if not line.strip("'\" "):
                # RemoteDisconnected (a BadStatusLine): closed before any reply; the forward says why.
                attempts.append(Attempt(error=_failure(session, peer, exc)))
                break
            attempts.append(Attempt(None, "not HTTP", printable(line.encode()), round(elapsed, 1),
                                    http=False))
            return Outcome(tuple(attempts), tcp_only=True)
        except (OSError, http.client.HTTPException) as exc:
            attempts.append(Attempt(error=_failure(session, peer, exc)))
            break
        finally:
            conn.close()
    return Outcome(tuple(attempts))


def tcp_check(session: PortForwardSession, *, wait: float = 1.5) -> Outcome:
    """Connect through the forward and wait briefly: refused (error channel), a banner, or silence."""
    from ktui.kube.portforward import LOOPBACK

    start = time.perf_counter()
    sock = socket.create_connection((LOOPBACK, session.local_port), timeout=wait)
    peer = sock.getsockname()[1]
    try:
        try:
            data = sock.recv(256)
        except TimeoutError:
            data = None
        elapsed = round((time.perf_counter() - start) * 1000, 1)
        if data == b"":
            rec = session.record_for(peer, timeout=3.0)
            if rec is not None and rec.error:
                return Outcome((Attempt(error=rec.error, http=False),), tcp_only=True)
            return Outcome((Attempt(None, "open, closed at once", "", elapsed, http=False),), tcp_only=True)
        banner = printable(data or b"")
        return Outcome((Attempt(None, "open", banner, elapsed, http=False),), tcp_only=True)
    finally:
        sock.close()
