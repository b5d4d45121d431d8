"""The sandbox's Kubernetes HTTP API (aiohttp): version, discovery, CRUD, watch, logs, port-forward.

One catch-all route parses the path itself: the API's path grammar (``/api/v1/namespaces/x`` is a
namespace, ``/api/v1/namespaces/x/pods`` a collection) is simpler to state as code than as routes.
Every failure becomes a ``Status``; nothing a client sends can take the server down.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ktui.sandbox import openapi, registry, tables, watch
from ktui.sandbox.audit import AuditEntry, AuditLog
from ktui.sandbox.errors import ApiError, internal, method_not_allowed, not_found, path_not_found
from ktui.sandbox.faults import Faults
from ktui.sandbox.handlers import Handlers
from ktui.sandbox.podio import NullAgent, serve_logs, serve_portforward
from ktui.sandbox.portforward import shutdown_portforwards
from ktui.sandbox.registry import ResourceType
from ktui.sandbox.selectors import parse_fields, parse_labels
from ktui.sandbox.store import Store, encode

log = logging.getLogger(__name__)
USER = web.RequestKey("user", str)  # bearer token text = user name; no token = "admin"
AUDIT = web.RequestKey("audit", dict)  # fields of the request's audit entry, filled in while routing
AUDITED = web.RequestKey("audited", bool)

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
HEADERS = {"Cache-Control": "no-cache, private"}
VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass
class Target:
    """What a resource request addresses."""

    t: ResourceType
    namespace: str | None
    name: str | None
    sub: str | None
    verb: str


def json_response(body: Any, status: int = 200, content_type: str = "application/json") -> web.Response:
    """A JSON response with Content-Length and the apiserver's Cache-Control."""
    data = body if isinstance(body, bytes) else encode(body)
    return web.Response(
        body=data,
        status=status,
        headers={**HEADERS, "Content-Type": content_type, "Audit-Id": str(uuid.uuid4())},
    )


def status_response(err: ApiError) -> web.Response:
    """The ``Status`` of an ApiError."""
    return json_response(err.status(), err.code)


class ApiServer:
    """Routes requests to the store; ``node_agent`` serves logs and port-forward dials."""

    def __init__(self, store: Store, *, audit: AuditLog | None = None, faults: Faults | None = None) -> None:
        self.store = store
        self.audit = audit or AuditLog()
        self.faults = faults or Faults()
        self.node_agent: Any = NullAgent()
        self.bookmark_interval = 10.0  # real seconds between BOOKMARKs on idle watches that asked for them
        self._watches: set[asyncio.Queue[Any]] = set()
        self.handlers = Handlers(self)

    def make_app(self) -> web.Application:
        """A fresh aiohttp application (one per listen, so a restart starts clean)."""
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # aiohttp waits for running handlers on shutdown: end open port-forwards first, or a stop
        # with a forward still open hangs for the whole shutdown timeout.
        app.on_shutdown.append(shutdown_portforwards)
        return app

    def drop_watches(self, abort: bool = False) -> int:
        """End every open watch (``abort`` cuts connections instead of ending streams cleanly)."""
        for queue in list(self._watches):
            queue.put_nowait("abort" if abort else None)
        return len(self._watches)

    def register_watch(self, queue: asyncio.Queue[Any]) -> Any:
        """Track an open watch so faults can drop it; returns the unregister function."""
        self._watches.add(queue)
        return lambda: self._watches.discard(queue)

    # ---- middleware: users, faults, audit, errors --------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        request[USER] = request_user(request)
        request[AUDIT] = {
            "verb": request.method.lower(),
            "resource": "",
            "subresource": "",
            "namespace": "",
            "name": "",
        }
        code = 500
        try:
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            failure = self.faults.should_fail()
            if failure is not None:
                raise failure
            resp = await handler(request)
            code = resp.status
            return resp
        except ApiError as err:
            code = err.code
            return status_response(err)
        except web.HTTPException as exc:
            code = exc.status
            raise
        except (asyncio.CancelledError, ConnectionError):
            code = 499  # client went away (nginx's convention; never sent)
            raise
        except Exception as exc:  # a bug must answer 500, never take the server down
            log.exception("request failed: %s %s", request.method, request.path_qs)
            code = 500
            return status_response(internal(f"{type(exc).__name__}: {exc}"))
        finally:
            self.record(request, code)

    def record(self, request: web.Request, code: int) -> None:
        """Write the request's audit entry once (streams record when they start)."""
        if request.get(AUDITED):
            return
        request[AUDITED] = True
        a = request[AUDIT]
        self.audit.record(
            AuditEntry(
                user=request[USER],
                verb=a["verb"],
                resource=a["resource"],
                subresource=a["subresource"],
                namespace=a["namespace"],
                name=a["name"],
                path=request.path_qs,
                code=code,
            )
        )

    # ---- routing -----------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        if request.method not in ("GET", "HEAD") and (not parts or parts[0] not in ("api", "apis")):
            raise path_not_found()
        if not parts:
            return json_response(
                {
                    "paths": [
                        "/api",
                        "/api/v1",
                        "/apis",
                        "/healthz",
                        "/livez",
                        "/readyz",
                        "/version",
                        *(f"/apis/{g}" for g in registry.GROUPS),
                        *(f"/apis/{g}/v1" for g in registry.GROUPS),
                    ]
                }
            )
        head = parts[0]
        if parts == ["version"]:
            return json_response(VERSION)
        if head in ("healthz", "livez", "readyz") and len(parts) == 1:
            return web.Response(text="ok", headers=HEADERS)
        if head == "api":
            if len(parts) == 1:
                return self._discovery(request, core=True)
            if parts[1] != "v1":
                raise path_not_found()
            if len(parts) == 2:
                return json_response(registry.legacy_resources(""))
            return await self._resource(request, "", parts[2:])
        if head == "apis":
            if len(parts) == 1:
                return self._discovery(request, core=False)
            group = parts[1]
            if group not in registry.GROUPS:
                raise path_not_found()
            if len(parts) == 2:
                return json_response(registry.legacy_group(group))
            if parts[2] != "v1":
                raise path_not_found()
            if len(parts) == 3:
                return json_response(registry.legacy_resources(group))
            return await self._resource(request, group, parts[3:])
        if head == "openapi" and len(parts) >= 2 and parts[1] == "v3":
            doc = openapi.lookup(parts[2:])
            if doc is not None:
                return json_response(doc)
        raise path_not_found()  # /openapi/v2 and anything else

    def _discovery(self, request: web.Request, *, core: bool) -> web.Response:
        if "as=APIGroupDiscoveryList" in request.headers.get("Accept", ""):
            return json_response(registry.aggregated_discovery(core), content_type=AGGREGATED)
        return json_response(registry.legacy_versions() if core else registry.legacy_groups())

    def _target(self, request: web.Request, group: str, rest: list[str]) -> Target:
        watching = False
        if rest and rest[0] == "watch":  # the deprecated /api/v1/watch/... form
            watching, rest = True, rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            inner = registry.BY_PATH.get((group, "v1", rest[2]))
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise path_not_found()
        t = registry.BY_PATH.get((group, "v1", rest[0]))
        if t is None:
            raise path_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if (sub is not None and sub not in t.subresources) or (t.namespaced and name and namespace is None):
            raise path_not_found()
        method = request.method
        if method in ("GET", "HEAD"):
            is_watch = watching or request.query.get("watch", "").lower() in ("true", "1")
            verb = "get" if name else ("watch" if is_watch else "list")
        elif method == "POST":
            verb = "create"
            if name and sub != "portforward":
                raise method_not_allowed(verb, t.plural)
        else:
            verb = {
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection",
            }.get(method, "")
        if not verb or (verb in ("update", "patch") and not name):
            raise method_not_allowed(method.lower(), t.plural)
        if verb not in t.verbs and sub is None:
            raise method_not_allowed(verb, t.plural)
        return Target(t, namespace, name, sub, verb)

    async def _resource(self, request: web.Request, group: str, rest: list[str]) -> web.StreamResponse:
        target = self._target(request, group, rest)
        t = target.t
        request[AUDIT].update(
            verb=target.verb,
            resource=t.key,
            subresource=target.sub or "",
            namespace=target.namespace or "",
            name=target.name or "",
        )
        self.faults.check(
            request[USER],
            target.verb,
            t.plural,
            t.group,
            namespace=target.namespace,
            name=target.name,
            subresource=target.sub,
        )
        if target.sub == "log":
            return await serve_logs(self, request, target)
        if target.sub == "portforward":
            return await serve_portforward(self, request, target)
        if target.sub == "scale":
            return await self.handlers.scale(request, target)
        if target.verb == "watch":
            return await self._watch(request, target)
        handler = getattr(self.handlers, target.verb)
        result: web.StreamResponse = await handler(request, target)
        return result

    async def _watch(self, request: web.Request, target: Target) -> web.StreamResponse:
        t = target.t
        flt = watch.WatchFilter(
            target.namespace,
            parse_labels(request.query.get("labelSelector")),
            parse_fields(request.query.get("fieldSelector"), t.key),
        )
        return await watch.serve(
            request,
            t=t,
            store=self.store,
            flt=flt,
            table=wants_table(request),
            register=self.register_watch,
            expire=self.faults.take_watch_expiry(),
            bookmark_interval=self.bookmark_interval,
            on_start=lambda: self.record(request, 200),
        )

    def get_or_404(self, target: Target) -> dict[str, Any]:
        """The addressed object or a 404 naming it as the apiserver does."""
        assert target.name is not None
        obj = self.store.get(target.t.key, target.namespace, target.name)
        if obj is None:
            raise not_found(target.t.plural, target.name, target.t.group)
        return obj


def request_user(request: web.Request) -> str:
    """Who is asking: ``Impersonate-User`` (kubectl ``--as``), else the bearer token's text, else ``admin``.

    kubectl sends no kubeconfig credentials over plain HTTP, so ``--as`` is how kubectl tests pick a user.
    """
    acting = request.headers.get("Impersonate-User", "").strip()
    if acting:
        return acting
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    return token or "admin"


def wants_table(request: web.Request) -> bool:
    """Whether the client asked for server-side printing (``Accept: ...;as=Table``)."""
    return "as=Table" in request.headers.get("Accept", "")


__all__ = ["AGGREGATED", "ApiServer", "Target", "json_response", "status_response", "tables", "wants_table"]
