"""``pods/log`` and ``pods/portforward``: the apiserver's checks, then the node agent (the kubelets)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ktui.sandbox.errors import ApiError, bad_request, invalid
from ktui.sandbox.handlers import bool_param, int_param
from ktui.sandbox.printfmt import parse_time

if TYPE_CHECKING:
    from ktui.sandbox.server import ApiServer, Target

_CLIENT_CHECK = 1.0  # seconds between checks that an idle follower is still connected


async def _next_while_connected(request: web.Request, iterator: AsyncIterator[bytes]) -> bytes:
    """The next chunk, or ConnectionError once the client has gone (an idle follow must not leak)."""
    task = asyncio.ensure_future(iterator.__anext__())
    while True:
        done, _ = await asyncio.wait({task}, timeout=_CLIENT_CHECK)
        if done:
            return task.result()
        if request.transport is None or request.transport.is_closing():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise ConnectionError("log follower went away")


_TEXT_HEADERS = {"Content-Type": "text/plain", "Cache-Control": "no-cache, private"}


class NullAgent:
    """The node agent before a simulation installs kubelets: no container has run."""

    async def logs(self, namespace: str, pod: str, container: str, **_: Any) -> AsyncIterator[bytes]:
        """Every container is unavailable."""
        raise ApiError(400, "BadRequest", f'container "{container}" in pod "{pod}" is not available')
        yield b""  # pragma: no cover - makes this an async generator

    async def dial(self, namespace: str, pod: str, port: int) -> Any:
        """Nothing listens anywhere."""
        raise ConnectionRefusedError(f"error forwarding port {port} to pod {pod}: no kubelet")


async def serve_logs(server: ApiServer, request: web.Request, target: Target) -> web.StreamResponse:
    """``pods/log``: apiserver checks, then the node agent's stream (chunked when following)."""
    if target.verb != "get":
        raise bad_request("pods/log only supports get")
    pod = server.get_or_404(target)
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    inits = [c.get("name") for c in spec.get("initContainers") or []]
    ephemeral = [c.get("name") for c in spec.get("ephemeralContainers") or []]
    container = request.query.get("container") or ""
    pod_name = pod["metadata"]["name"]
    if container and container not in names + inits + ephemeral:
        raise bad_request(f"container {container} is not valid for pod {pod_name}")
    if not container:
        if len(names) != 1:
            choices = " ".join(str(n) for n in names)
            msg = f"a container name must be specified for pod {pod_name}, choose one of: [{choices}]"
            if inits:
                msg += f" or one of the init containers: [{' '.join(inits)}]"
            raise bad_request(msg)
        container = names[0]
    since = int_param(request, "sinceSeconds")
    if request.query.get("sinceTime"):
        when = parse_time(request.query["sinceTime"])
        if when is None:
            raise bad_request(f'parsing time "{request.query["sinceTime"]}" as RFC 3339 failed')
        since = max(1, math.ceil((datetime.now(UTC) - when).total_seconds()))
    follow = bool_param(request, "follow")
    limit = int_param(request, "limitBytes")
    tail = int_param(request, "tailLines")
    for name, value in (("limitBytes", limit), ("sinceSeconds", since)):
        if value is not None and value < 1:
            raise invalid(
                "PodLogOptions",
                "",
                [("FieldValueInvalid", name, "Invalid value: must be greater than 0")],
            )
    if not spec.get("nodeName"):
        return web.Response(body=b"", headers=_TEXT_HEADERS)  # unscheduled: no location, empty log
    stream = server.node_agent.logs(
        target.namespace or "",
        pod_name,
        container,
        previous=bool_param(request, "previous"),
        follow=follow,
        tail_lines=tail,
        since_seconds=since,
        timestamps=bool_param(request, "timestamps"),
        limit_bytes=limit,
    )
    if inspect.isawaitable(stream):
        stream = await stream
    iterator = stream.__aiter__()
    try:
        first = await iterator.__anext__()  # errors (waiting container, no previous) surface as Status here
    except StopAsyncIteration:
        first = b""
    if not follow:
        chunks = [first]
        async for chunk in iterator:
            chunks.append(chunk)
        data = b"".join(chunks)
        return web.Response(body=data[:limit] if limit else data, headers=_TEXT_HEADERS)
    resp = web.StreamResponse(headers=_TEXT_HEADERS)
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    server.record(request, 200)
    sent = 0
    try:
        chunk = first
        while True:
            if chunk:
                if limit:
                    chunk = chunk[: max(0, limit - sent)]
                sent += len(chunk)
                await resp.write(chunk)
                if limit and sent >= limit:
                    break
            try:
                chunk = await _next_while_connected(request, iterator)
            except (StopAsyncIteration, ConnectionError):
                break
        await resp.write_eof()
    except ConnectionError:
        pass  # the client stopped following
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
    return resp


async def serve_portforward(server: ApiServer, request: web.Request, target: Target) -> web.StreamResponse:
    """``pods/portforward``: hand the upgraded connection to the port-forward protocols."""
    pod = server.get_or_404(target)
    ns, name = target.namespace or "", pod["metadata"]["name"]
    dial = functools.partial(server.node_agent.dial, ns, name)
    try:
        from ktui.sandbox.portforward.handler import handle_portforward
    except ImportError:
        raise bad_request("Upgrade request required") from None
    server.record(request, 101)
    return await handle_portforward(request, dial)
