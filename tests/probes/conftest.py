"""Fixtures for the probes: an API-only sandbox whose node agent dials a real local HTTP server.

``fake_cluster`` needs no simulated kubelet: the sandbox's real port-forward endpoint (WebSocket v4)
calls ``dial``, which connects pod port 80 to an asyncio HTTP server on 127.0.0.1 and refuses every
other port with the kubelet's error text, so the client-side code runs end to end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from probe_helpers import FakeAgent, FakeCluster, http_handler

from ktui.kube.client import connect
from ktui.sandbox.runner import Sandbox


@pytest.fixture()
def fake_cluster() -> Iterator[FakeCluster]:
    """An API-only sandbox with pod `running` and a node agent that serves HTTP on pod port 80."""
    sb = Sandbox(scenario="empty", simulate=False).start()
    try:

        async def setup() -> tuple[asyncio.AbstractServer, FakeAgent]:
            server = await asyncio.start_server(http_handler, "127.0.0.1", 0)
            agent = FakeAgent(server.sockets[0].getsockname()[1])
            sb.server.node_agent = agent
            return server, agent

        started: tuple[asyncio.AbstractServer, FakeAgent] = sb.call(setup)  # type: ignore[assignment]
        server, agent = started
        cluster = FakeCluster(sb, connect(str(sb.kubeconfig)), agent)
        cluster.add_pod("running")
        yield cluster
        sb.call(lambda: server.close())  # the server belongs to the sandbox's loop
        cluster.conn.close()
    finally:
        sb.stop()
