"""The ingress-nginx controller's pod program: a real HTTP router plus the controller's status and events.

Registered with the kubelet for the image ``registry.k8s.io/ingress-nginx/controller``, so it exists only
while such a pod runs (scale the Deployment to zero and Ingresses stop answering, get no address and no
``Sync`` events, as on a real cluster). On container port 80 it routes by Host and path to a ready
endpoint of the backend Service and proxies through the kubelet's ``dial``; 503 when the Service is
missing or has no ready endpoint, 502 when nothing listens on the endpoint, 404 when no rule matches.
Port 10254 serves ``/healthz`` for the Deployment's probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ktui.sandbox.controllers.ingress_router import Route, is_ours, our_classes, route, upstreams
from ktui.sandbox.kubelet.http import Request, Response, http_date, serve_http
from ktui.sandbox.kubelet.programs import register_program
from ktui.sandbox.kubelet.runtime import Container
from ktui.sandbox.recorder import EventRecorder

IMAGE = "registry.k8s.io/ingress-nginx/controller"
COMPONENT = "nginx-ingress-controller"
INGRESSES = "ingresses.networking.k8s.io"
PROXY_TIMEOUT = 60.0  # proxy_read_timeout, cluster seconds
_HOP = {"connection", "keep-alive", "transfer-encoding", "server", "date", "proxy-connection", "upgrade"}

Dial = Callable[[str, str, int, str], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


def error_page(status: int, reason: str) -> bytes:
    """nginx's built-in error page (server_tokens off, as ingress-nginx configures it)."""
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}"
        "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def _klog(level: str, source: str, message: str) -> str:
    now = datetime.now(UTC)
    return f"{level}{now:%m%d %H:%M:%S.%f}       7 {source}] {message}"


class IngressNginx:
    """Plugs the controller program into the kubelet; holds what the program needs from the cluster."""

    def __init__(self, store: Any, recorder: EventRecorder, dial: Dial) -> None:
        self.store = store
        self.recorder = recorder
        self.dial = dial
        self._unregister: Callable[[], None] | None = None

    def start(self) -> None:
        """Register the program for the controller image."""
        self._unregister = register_program(
            lambda c: c.image.ref.repository == IMAGE and _default_process(c), self.program
        )

    def stop(self) -> None:
        """Unregister the program."""
        if self._unregister is not None:
            self._unregister()
            self._unregister = None

    # -- the program ---------------------------------------------------------------------------------

    async def program(self, c: Container) -> int:
        """What the controller container runs."""
        version = c.image.version
        c.err(
            "-------------------------------------------------------------------------------\n"
            "NGINX Ingress controller\n"
            f"  Release:       {version}\n"
            "  Build:         4d1d5a8aee7b3c9a8f6f4c1cde1a0a0e56c5d9a1\n"
            "  Repository:    https://github.com/kubernetes/ingress-nginx\n"
            "  nginx version: nginx/1.25.5\n\n"
            "-------------------------------------------------------------------------------\n"
        )
        c.err(_klog("I", "main.go:205", '"Creating API client" host="https://10.96.0.1:443"'))
        c.err(_klog("I", "nginx.go:271", '"Starting NGINX Ingress controller"'))
        ns = c.pod["metadata"].get("namespace", "ingress-nginx")
        pod_name = c.pod["metadata"]["name"]
        counter = itertools.count()

        async def handle(req: Request) -> Response:
            return await self._serve(c, req, counter)

        async def health(req: Request) -> Response:
            if req.path == "/healthz":
                return Response(
                    200, b"ok", [("Content-Type", "text/plain; charset=utf-8"), ("Date", http_date())]
                )
            return Response(404, b"404 page not found\n", [("Content-Type", "text/plain; charset=utf-8")])

        c.listen(80, lambda r, w, peer: serve_http(r, w, handle, peer))
        c.listen(10254, lambda r, w, peer: serve_http(r, w, health, peer))
        c.term_exit = 0

        def on_change(type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
            if resource == INGRESSES and type_ != "DELETED" and _changed(obj, old):
                self._sync(c, obj, ns, pod_name)

        unsubscribe = self.store.subscribe(on_change)
        try:
            c.err(
                _klog(
                    "I",
                    "leaderelection.go:254",
                    f"attempting to acquire leader lease {ns}/ingress-nginx-leader...",
                )
            )
            c.err(_klog("I", "status.go:85", f'"New leader elected" identity="{pod_name}"'))
            for ing in self.store.list(INGRESSES)[0]:
                self._sync(c, ing, ns, pod_name)
            return await c.forever()
        finally:
            unsubscribe()

    def _sync(self, c: Container, ing: dict[str, Any], ns: str, pod: str) -> None:
        """The informer's reaction to an Ingress change: a ``Sync`` event, then the status address."""
        classes, default = our_classes(self.store)
        key = f"{ing['metadata']['namespace']}/{ing['metadata']['name']}"
        if not is_ours(ing, classes, default):
            wanted = (ing.get("spec") or {}).get("ingressClassName")
            if wanted:
                c.err(
                    _klog(
                        "I",
                        "store.go:432",
                        f'"Ignoring ingress because of error while validating ingress '
                        f'class" ingress="{key}" error="no object matching key '
                        f'\\"{wanted}\\" in local store"',
                    )
                )
            return
        self.recorder.event(ing, "Normal", "Sync", "Scheduled for sync", component=COMPONENT)
        for tls in (ing.get("spec") or {}).get("tls") or []:
            secret = tls.get("secretName")
            if secret and self.store.get("secrets", ing["metadata"]["namespace"], secret) is None:
                c.err(
                    _klog(
                        "W",
                        "backend_ssl.go:47",
                        f"Error obtaining X.509 certificate: no object matching key "
                        f'"{ing["metadata"]["namespace"]}/{secret}" in local store',
                    )
                )
        for path in _backends(ing):
            _, reason = upstreams(self.store, path)
            if reason:
                c.err(_klog("W", "controller.go:1214", reason))
        address = self._address(c)
        if address is None:
            return
        wanted_status = {"loadBalancer": {"ingress": [{"ip": address}]}}

        def update(obj: dict[str, Any]) -> bool | None:
            if obj.get("status") == wanted_status:
                return False
            obj["status"] = wanted_status
            return None

        asyncio.get_running_loop().call_soon(
            lambda: self.store.mutate(
                INGRESSES, ing["metadata"]["namespace"], ing["metadata"]["name"], update
            )
        )

    def _address(self, c: Container) -> str | None:
        """The node's InternalIP: ingress-nginx publishes where it runs when no LoadBalancer fronts it."""
        node = self.store.get("nodes", None, (c.pod.get("spec") or {}).get("nodeName", ""))
        for addr in ((node or {}).get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                return str(addr["address"])
        return None

    # -- routing -------------------------------------------------------------------------------------

    async def _serve(self, c: Container, req: Request, counter: itertools.count[int]) -> Response:
        classes, default = our_classes(self.store)
        ours = [i for i in self.store.list(INGRESSES)[0] if is_ours(i, classes, default)]
        found = route(ours, req.headers.get("host", ""), req.path)
        request_id = secrets.token_hex(16)
        if found is None:
            return self._log(
                c, req, _page(404, "Not Found"), "upstream-default-backend", "127.0.0.1:8181", request_id
            )
        upstream_name = f"{found.namespace}-{found.service}-{found.port}"
        targets, reason = upstreams(self.store, found)
        if not targets:
            if reason:
                c.err(_klog("W", "controller.go:1214", reason))
            return self._log(
                c, req, _page(503, "Service Temporarily Unavailable"), upstream_name, "-", request_id
            )
        ns, pod, port = targets[next(counter) % len(targets)]
        target = self.store.get("pods", ns, pod)
        addr = f"{((target or {}).get('status') or {}).get('podIP', '')}:{port}"
        try:
            response = await asyncio.wait_for(
                self._proxy(c, ns, pod, port, req, request_id), c.clock.real_seconds(PROXY_TIMEOUT)
            )
        except TimeoutError:
            c.err(
                f"{_nginx_time()} [error] 31#31: *1 upstream timed out (110: Operation timed out) "
                f"while reading "
                f'response header from upstream, upstream: "http://{addr}{req.target}"'
            )
            return self._log(c, req, _page(504, "Gateway Time-out"), upstream_name, addr, request_id)
        except (OSError, ConnectionError, Exception) as exc:  # refused / reset: nginx answers 502
            c.err(
                f"{_nginx_time()} [error] 31#31: *1 connect() failed (111: Connection refused) "
                f"while connecting to upstream, client: {req.peer}, server: _, "
                f'request: "{req.method} {req.target} {req.version}", '
                f'upstream: "http://{addr}{req.target}" ({type(exc).__name__})'
            )
            return self._log(c, req, _page(502, "Bad Gateway"), upstream_name, addr, request_id)
        return self._log(c, req, response, upstream_name, addr, request_id)

    async def _proxy(
        self, c: Container, ns: str, pod: str, port: int, req: Request, request_id: str
    ) -> Response:
        reader, writer = await self.dial(ns, pod, port, c.ip)
        try:
            host = req.headers.get("host", "")
            headers = {k: v for k, v in req.headers.items() if k not in _HOP and k != "host"}
            lines = [
                f"{req.method} {req.target} HTTP/1.1",
                f"Host: {host}",
                "Connection: close",
                f"X-Request-ID: {request_id}",
                f"X-Real-IP: {req.peer}",
                f"X-Forwarded-For: {req.peer}",
                f"X-Forwarded-Host: {host}",
                "X-Forwarded-Port: 80",
                "X-Forwarded-Proto: http",
                "X-Forwarded-Scheme: http",
                "X-Scheme: http",
            ]
            lines += [f"{k}: {v}" for k, v in headers.items() if not k.startswith("x-forwarded")]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + req.body)
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise ConnectionError("upstream prematurely closed connection while reading response header")
        out = [("Date", http_date())]
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() not in _HOP and name.strip().lower() != "content-length":
                out.append((name.strip(), value.strip()))
        return Response(
            int(parts[1]), body, [("Server", "nginx"), *out], parts[2] if len(parts) > 2 else None
        )

    def _log(
        self, c: Container, req: Request, resp: Response, upstream: str, addr: str, request_id: str
    ) -> Response:
        stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        c.out(
            f'{req.peer} - - [{stamp}] "{req.method} {req.target} {req.version}" '
            f"{resp.status} {len(resp.body)} "
            f'"{req.headers.get("referer", "-")}" "{req.headers.get("user-agent", "-")}" '
            f"{len(req.body) + 80} 0.001 [{upstream}] [] {addr} {len(resp.body)} 0.001 {resp.status} "
            f"{request_id}"
        )
        return resp


def _page(status: int, reason: str) -> Response:
    return Response(
        status,
        error_page(status, reason),
        [("Server", "nginx"), ("Date", http_date()), ("Content-Type", "text/html")],
        reason,
    )


def _nginx_time() -> str:
    return datetime.now(UTC).strftime("%Y/%m/%d %H:%M:%S")


def _default_process(c: Container) -> bool:
    """The image's own entrypoint runs (not ``sh -c ...`` or another command)."""
    return not c.argv or any(a.endswith("nginx-ingress-controller") for a in c.argv)


def _changed(obj: dict[str, Any], old: dict[str, Any] | None) -> bool:
    if old is None:
        return True
    strip = ("resourceVersion", "managedFields")
    return (
        {k: v for k, v in obj["metadata"].items() if k not in strip}
        != {k: v for k, v in old["metadata"].items() if k not in strip}
        or obj.get("spec") != old.get("spec")
        or obj.get("status") != old.get("status")
    )


def _backends(ing: dict[str, Any]) -> list[Route]:
    out = []
    ns, name = ing["metadata"]["namespace"], ing["metadata"]["name"]
    for rule in (ing.get("spec") or {}).get("rules") or []:
        for p in ((rule.get("http") or {}).get("paths")) or []:
            svc = (p.get("backend") or {}).get("service") or {}
            port = svc.get("port") or {}
            if svc.get("name"):
                out.append(
                    Route(
                        ns,
                        name,
                        svc["name"],
                        port.get("number") if port.get("number") is not None else port.get("name"),
                    )
                )
    return out
