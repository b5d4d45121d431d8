"""The log route's own work: apiserver checks, chunked follow, limitBytes, and closing idle followers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from kubernetes import client, config

from ktui.sandbox.runner import Sandbox

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  nodeName: node-1
  containers: [{name: app, image: busybox}]
"""


class ScriptedAgent:
    """A node agent that prints numbered lines; with follow it keeps going until cancelled."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.closed = 0

    async def logs(self, namespace: str, pod: str, container: str, **options: Any) -> AsyncIterator[bytes]:
        self.calls.append({"namespace": namespace, "pod": pod, "container": container, **options})
        try:
            for i in range(3):
                yield f"line {i}\n".encode()
            while options["follow"]:
                await asyncio.sleep(3600)  # idle: nothing more to say
        finally:
            self.closed += 1

    async def dial(self, namespace: str, pod: str, port: int) -> Any:
        raise ConnectionRefusedError


def _core(sb: Sandbox) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=str(sb.kubeconfig)))


def test_logs_reach_the_agent_with_the_options(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("empty", simulate=False)
    agent = ScriptedAgent()
    sb.server.node_agent = agent
    sb.apply_yaml(POD)
    text = _core(sb).read_namespaced_pod_log(
        "talker", "default", tail_lines=2, timestamps=True, limit_bytes=10
    )
    assert text == "line 0\nlin"  # limitBytes is enforced by the server too
    assert agent.calls[0] == {
        "namespace": "default",
        "pod": "talker",
        "container": "app",
        "previous": False,
        "follow": False,
        "tail_lines": 2,
        "since_seconds": None,
        "timestamps": True,
        "limit_bytes": 10,
    }


def test_follow_streams_and_an_idle_follower_is_closed_when_the_client_leaves(sandbox_factory: Any) -> None:
    sb: Sandbox = sandbox_factory("empty", simulate=False)
    agent = ScriptedAgent()
    sb.server.node_agent = agent
    sb.apply_yaml(POD)
    resp = _core(sb).read_namespaced_pod_log("talker", "default", follow=True, _preload_content=False)
    assert resp.headers["Transfer-Encoding"] == "chunked"
    got = b""
    for chunk in resp.stream(64):
        got += chunk
        if got.count(b"\n") == 3:
            break
    assert got == b"line 0\nline 1\nline 2\n"
    resp.release_conn()
    resp.close()
    deadline = time.monotonic() + 10
    while agent.closed == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert agent.closed == 1, "the agent's stream was not closed after the client left"
