"""The relay loop's SPDY half: one tunnel per target pod, stream pairs opened on it as spares.

``TunnelRelay`` extends ``RelayLoop`` (these run on its one loop thread). The tunnel's socket is
registered once for all its streams; each stream's local socket is registered by the relay as
usual. Without SPDY flow control one tunnel has one reader, so a local connection that does not
read pauses the whole tunnel (as kubectl's spdystream does). A server that does not take the tunnel
subprotocol (an upgrade refused with 400/403, or a 101 naming another protocol) switches the
session to v4 for good; a tunnel that dies young backs off like a spare.
"""

from __future__ import annotations

import selectors
import time
from typing import Any

from ktui.kube.portforward_mux import MuxStream, SpdyTunnel
from ktui.kube.portforward_relay import HIGH_WATER, SHORT_LIFE, RelayLoop
from ktui.kube.portforward_stream import UpgradeRefused, upgrade_failure
from ktui.kube.spdy_client import TunnelRefused

_REFUSALS = (400, 403)  # a tunnel upgrade answered so: the server may not speak it, use v4


class TunnelRelay(RelayLoop):
    """``RelayLoop`` plus the SPDY tunnel's state and handlers (loop thread only)."""

    def _init_tunnels(self) -> None:
        self._mode = "spdy"  # or "v4" once the server refused the tunnel
        self._tunnel: SpdyTunnel | None = None  # the current target pod's tunnel
        self._tunnels: set[SpdyTunnel] = set()  # every open one (old pods' until their streams end)
        self._tunnel_opening = False

    def _settle_tunnel(self, pod: str, port: int, want: int) -> None:
        """Open ``want`` more stream pairs on the pod's tunnel, or ask for the tunnel."""
        tunnel = self._tunnel
        if want <= 0:
            return
        if tunnel is None:
            if not self._tunnel_opening:
                self._tunnel_opening = True
                self._requests.put(("spdy", pod, port))
            return
        for _ in range(want):
            self._spares.append(tunnel.open_pair(port))
        self._serve_waiting()
        self._watch_tunnel(tunnel)

    def _retire_tunnels(self, pod: str | None) -> None:
        """Stop using a tunnel that no longer fits (another pod, closing, dead forward)."""
        tunnel = self._tunnel
        if tunnel is not None and (tunnel.pod != pod or not tunnel.usable):
            self._tunnel = None
        now = time.monotonic()
        for each in list(self._tunnels):
            if each is not self._tunnel:
                self._watch_tunnel(each)  # closed once its last connection ended
            elif now >= each.next_ping:
                each.ping_if_due(now)
                self._watch_tunnel(each)

    def _tunnel_opened(self, pod: str, port: int, result: Any) -> None:
        """Adopt a tunnel, or fall back to v4 when the server does not take the subprotocol."""
        self._tunnel_opening = False
        code = upgrade_failure(result, self.namespace, pod)[0] if isinstance(result, UpgradeRefused) else 0
        if code in _REFUSALS or isinstance(result, TunnelRefused):
            self._mode = "v4"  # as kubectl falls back to raw SPDY: the v4 attempt says what is wrong
            return
        target_pod, _, dead = self._target()
        current = pod == target_pod and dead is None
        if isinstance(result, UpgradeRefused):
            self._ready.set()
            if current:
                self._open_failed(pod, port, result)
            return
        try:
            tunnel = SpdyTunnel(result, pod)
        except OSError:
            return
        if not current:
            tunnel.close()
            return
        self._tunnel = tunnel
        self._tunnels.add(tunnel)
        self._watch_tunnel(tunnel)

    def _tunnel_io(self, tunnel: SpdyTunnel, mask: int) -> None:
        """Read and/or write the tunnel, then move every stream it touched."""
        paused = len(tunnel.out) >= HIGH_WATER
        touched = tunnel.read() if mask & selectors.EVENT_READ else set()
        if mask & selectors.EVENT_WRITE:
            tunnel.flush()
        if tunnel.ended or (paused and len(tunnel.out) < HIGH_WATER):
            touched.update(tunnel.streams.values())  # ended, or their local sides may read again
        if tunnel.proven:
            self._ready.set()  # the server took a pair of streams and answered a ping after it
        for stream in touched:
            self._tunnel_stream(stream)
        if tunnel.ended:
            self._ready.set()
            self._drop_tunnel(tunnel)
        else:
            self._watch_tunnel(tunnel)

    def _tunnel_stream(self, stream: MuxStream) -> None:
        if stream.client is None:  # a spare: keep it unless it died or got an error
            if stream.ended or stream.error:
                self._drop_spare(stream)
            return
        if stream not in self._active:
            return
        self._deliver(stream)

    def _watch_tunnel(self, tunnel: SpdyTunnel) -> None:
        """Read unless a local connection lags (one reader for all streams); write if queued."""
        if tunnel not in self._tunnels:
            return
        if (tunnel.ended and not tunnel.out) or (tunnel is not self._tunnel and not tunnel.streams):
            self._drop_tunnel(tunnel)
            return
        read, write = selectors.EVENT_READ, selectors.EVENT_WRITE
        lagging = any(len(s.to_client) >= HIGH_WATER for s in tunnel.streams.values())
        events = read if (not tunnel.ended and not lagging) or tunnel.want_read else 0
        if tunnel.out and not tunnel.broken and not tunnel.want_read:
            events |= write
        self._register(tunnel.sock, events, tunnel)

    def _drop_tunnel(self, tunnel: SpdyTunnel) -> None:
        """Close a tunnel and end every connection still on it (as a lost v4 WebSocket does)."""
        if tunnel not in self._tunnels:
            return
        self._tunnels.discard(tunnel)
        if tunnel is self._tunnel:
            self._tunnel = None
            if time.monotonic() - tunnel.born < SHORT_LIFE:
                self._back_off()  # a tunnel that dies young must not be reopened in a tight loop
        tunnel.ended = True
        for stream in set(tunnel.streams.values()):
            if stream.client is None:
                self._drop_spare(stream)
            elif stream in self._active:
                self._finish(stream)
        self._register(tunnel.sock, 0, None)
        tunnel.close()
