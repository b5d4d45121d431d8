"""One container run: its program task, log, filesystem, listeners, and how it ends.

Programs see a ``Container`` as their whole world: argv, env, files, stdout/stderr, ports to listen
on. Listeners are real sockets on 127.0.0.1 (ephemeral ports), opened on first use so a pod that is
never reached holds no socket; only the kubelet's ``dial`` and probes know the mapping.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ktui.sandbox.clock import SimClock
from ktui.sandbox.kubelet.logs import ContainerLog

if TYPE_CHECKING:
    from ktui.sandbox.kubelet.images import Image

StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, str], Awaitable[None]]
_UNITS = {  # memory quantities: the limit a container is OOM-killed above
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "k": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "": 1,
}


def quantity_bytes(value: Any) -> int | None:
    """``64Mi`` -> bytes."""
    if value is None:
        return None
    text = str(value)
    for unit in sorted(_UNITS, key=len, reverse=True):
        if unit and text.endswith(unit):
            return int(float(text[: -len(unit)]) * _UNITS[unit])
    try:
        return int(float(text))
    except ValueError:
        return None


class Exit(Exception):
    """Raised by a program to end with an exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class StartFailure(Exception):
    """The runtime could not start the process (StartError, exit code 128)."""


class Listener:
    """A container port: the program's handler, served on a loopback socket opened on demand."""

    def __init__(self, handler: StreamHandler) -> None:
        self.handler = handler
        self.server: asyncio.Server | None = None
        self.port = 0
        self.peers: dict[int, str] = {}  # client source port -> the address the program should see
        self._lock = asyncio.Lock()

    async def address(self) -> int:
        """The real loopback port, opening the socket the first time."""
        async with self._lock:
            if self.server is None:
                self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
                self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def connect(self, peer: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a connection that the program sees as coming from ``peer``."""
        port = await self.address()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        self.peers[writer.get_extra_info("sockname")[1]] = peer
        return reader, writer

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        source = writer.get_extra_info("peername")[1]
        peer = self.peers.pop(source, "127.0.0.1")
        try:
            await self.handler(reader, writer, peer)
        finally:
            writer.close()

    def close(self) -> None:
        """Stop accepting (the process is gone)."""
        if self.server is not None:
            self.server.close()
            self.server = None


class Container:
    """A running (or finished) container instance and the program API."""

    def __init__(
        self,
        *,
        name: str,
        argv: list[str],
        env: dict[str, str],
        image: Image,
        files: dict[str, bytes],
        memory_limit: int | None,
        clock: SimClock,
        pod: dict[str, Any],
        ip: str,
        context: Any,
    ) -> None:
        self.id = secrets.token_hex(32)
        self.name = name
        self.argv = argv
        self.env = env
        self.image = image
        self.files = files
        self.memory_limit = memory_limit
        self.clock = clock
        self.pod = pod
        self.ip = ip
        self.context = context  # the node's kubelet: store, dial to other pods (ingress router)
        self.log = ContainerLog()
        self.listeners: dict[int, Listener] = {}
        self.term_exit: int | None = None  # exit code on SIGTERM; None = ignores it (PID 1 shell)
        self.started_at = ""
        self.finished_at = ""
        self.exit_code: int | None = None
        self.reason = ""
        self.message = ""
        self.task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()
        self._forced: tuple[int, str] | None = None

    # -- program API ------------------------------------------------------------------------------

    def out(self, text: str) -> None:
        """Write to stdout (one or more lines)."""
        self.log.write(text, "stdout")

    def err(self, text: str) -> None:
        """Write to stderr."""
        self.log.write(text, "stderr")

    def listen(self, port: int, handler: StreamHandler) -> None:
        """Accept connections on container port ``port``."""
        self.listeners[port] = Listener(handler)

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep in cluster time."""
        await self.clock.sleep(sim_seconds)

    async def forever(self) -> int:
        """Block until killed (a server's main loop)."""
        await asyncio.Event().wait()
        return 0

    # -- runtime side -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Started and not yet exited."""
        return self.task is not None and self.exit_code is None

    def start(
        self, program: Callable[[Container], Awaitable[int]], on_exit: Callable[[Container], None]
    ) -> None:
        """Run ``program``; ``on_exit`` is called once it ended (any way)."""
        self.started_at = self.clock.stamp()

        async def run() -> None:
            code, reason = 0, ""
            try:
                code = await program(self)
            except Exit as e:
                code = e.code
            except asyncio.CancelledError:
                code, reason = self._forced or (137, "Error")
            except Exception as e:  # a program bug must look like a crash, not kill the kubelet
                self.err(f"panic: {e}")
                code = 2
            if self._forced and not reason:
                code, reason = self._forced
            self._finish(code, reason)
            on_exit(self)

        self.task = asyncio.get_running_loop().create_task(run())

    def kill(self, code: int = 137, reason: str = "Error") -> None:
        """Kill the process now (SIGKILL, OOM kill)."""
        if self.task is not None and self.exit_code is None:
            self._forced = (code, reason)
            self.task.cancel()

    async def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL after ``grace`` cluster seconds unless the program exits first."""
        if not self.running:
            return
        if self.term_exit is not None:
            self.kill(self.term_exit, "Completed" if self.term_exit == 0 else "Error")
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), self.clock.real_seconds(grace))
            self.kill(137, "Error")
        await self.done.wait()

    def _finish(self, code: int, reason: str) -> None:
        self.exit_code = code
        self.reason = reason or ("Completed" if code == 0 else "Error")
        self.finished_at = self.clock.stamp()
        for listener in self.listeners.values():
            listener.close()
        self.log.close()
        self.done.set()

    def fail_start(self, message: str) -> None:
        """Record a start failure (``StartError``, exit code 128) without running anything."""
        self.started_at = "1970-01-01T00:00:00Z"  # containerd reports the zero start time
        self.message = message
        self._finish(128, "StartError")
