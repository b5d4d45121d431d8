"""``Sandbox``: the whole simulated cluster on a background thread with its own event loop.

Everything that touches the store runs on that loop; other threads reach it through ``call``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from ktui.sandbox import scenarios
from ktui.sandbox.audit import AuditLog
from ktui.sandbox.clock import SimClock
from ktui.sandbox.faults import Faults
from ktui.sandbox.kubeconfig import write_kubeconfig
from ktui.sandbox.server import ApiServer
from ktui.sandbox.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class Sandbox:
    """A running sandbox cluster: ``with Sandbox(scenario="seed", speed=20) as sb: ...``."""

    def __init__(
        self,
        scenario: str | None = "empty",
        *,
        speed: float = 1.0,
        port: int = 0,
        simulate: bool = True,
        host: str = "127.0.0.1",
        kubeconfig_path: Path | None = None,
        manifests: str | None = None,
        history: int = 10_000,
    ) -> None:
        self.clock = SimClock(speed)
        self.store = Store(self.clock, history=history)
        self.audit = AuditLog()
        self.faults = Faults()
        self.server = ApiServer(self.store, audit=self.audit, faults=self.faults)
        self.scenario = scenario
        self.simulate = simulate
        self.simulation: Any = None
        self.host = host
        self.port = port
        self._manifests = manifests
        self._kubeconfig_path = kubeconfig_path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self.kubeconfig = Path()
        if scenario is not None:
            scenarios.text(scenario)  # fail fast (UnknownScenario) before a thread exists

    # ---- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> Sandbox:
        """Start the loop thread, load the scenario, listen; raises what startup raised (e.g. port in use)."""
        self._thread = threading.Thread(target=self._main, name="ktui-sandbox", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise TimeoutError("sandbox did not start")
        if self._error is not None:
            self._thread.join(timeout)
            raise self._error
        if self._kubeconfig_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ktui-sandbox-")
            self._kubeconfig_path = Path(self._tmp.name) / "kubeconfig"
        self.kubeconfig = write_kubeconfig(self._kubeconfig_path, self.url)
        self.faults._call = self.call
        self.faults._drop = self.server.drop_watches
        self.faults._restart = self._restart
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, stop the simulation, end the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        except Exception:  # stopping must not raise over a test's own failure
            log.exception("sandbox shutdown failed")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            loop.run_until_complete(self._shutdown())
            loop.close()
            return
        self._started.set()
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _startup(self) -> None:
        if self.scenario is not None:
            scenarios.load(self.store, self.scenario)
        if self._manifests:
            scenarios.apply(self.store, scenarios.parse(self._manifests))
        if self.simulate:
            self.simulation = _make_simulation(self.store, self.clock)
            if self.simulation is not None:
                await self.simulation.start()
                self.server.node_agent = self.simulation.node_agent
        await self._listen()

    async def _listen(self) -> None:
        self._runner = web.AppRunner(
            self.server.make_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        server: Any = self._site._server
        if self.port == 0 and server is not None and getattr(server, "sockets", None):
            self.port = server.sockets[0].getsockname()[1]

    async def _unlisten(self) -> None:
        self.server.drop_watches(True)
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = self._site = None

    async def _restart(self) -> None:
        await self._unlisten()
        await self._listen()

    async def _shutdown(self) -> None:
        await self._unlisten()
        if self.simulation is not None:
            try:
                await self.simulation.stop()
            except Exception:
                log.exception("simulation stop failed")

    # ---- cross-thread helpers -------------------------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 30.0) -> T:
        """Run ``fn(*args)`` on the loop thread (awaiting it if it is a coroutine) and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("sandbox is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("Sandbox.call from the loop thread would deadlock; call fn directly")

        async def run() -> T:
            result = fn(*args)
            if inspect.isawaitable(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def apply_yaml(self, text: str) -> list[dict[str, Any]]:
        """Create or update the objects in ``text`` like ``kubectl apply``; returns the stored objects."""
        docs = scenarios.parse(text)
        return self.call(scenarios.apply, self.store, docs)

    def wait_for(self, pred: Callable[[Store], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
        """Poll ``pred(store)`` on the loop until it is truthy; return its value or raise TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.call(pred, self.store)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)

    def kubeconfig_for(self, user: str) -> Path:
        """A second kubeconfig whose bearer token makes requests come from ``user`` (for deny faults)."""
        path = self.kubeconfig.with_name(f"kubeconfig-{user.replace(':', '_')}")
        return write_kubeconfig(path, self.url, token=user)


def _make_simulation(store: Store, clock: SimClock) -> Any:
    """The Simulation if that module exists yet (it is built in parallel); None otherwise."""
    try:
        from ktui.sandbox.simulation import Simulation
    except ImportError as exc:
        if exc.name not in ("ktui.sandbox.simulation",):
            raise
        log.info("no simulation module: API-only sandbox")
        return None
    return Simulation(store, clock)
