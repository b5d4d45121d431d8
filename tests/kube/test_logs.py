"""fetch_logs / follow_logs against the sandbox's simulated kubelet."""

from __future__ import annotations

import threading
import time

import pytest
from kube_helpers import eventually

from ktui.kube import logs
from ktui.kube.client import KubeError, connect
from ktui.sandbox.runner import Sandbox


def _restarts(sb: Sandbox, name: str) -> int:
    pod = sb.call(lambda: sb.store.get("pods", "default", name)) or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return int(statuses[0].get("restartCount", 0)) if statuses else 0


def _waiting_reason(sb: Sandbox, name: str) -> str:
    pod = sb.call(lambda: sb.store.get("pods", "default", name)) or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return str(((statuses[0].get("state") or {}).get("waiting") or {}).get("reason", "")) if statuses else ""


def _running(sb: Sandbox, name: str) -> bool:
    pod = sb.call(lambda: sb.store.get("pods", "default", name)) or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return bool(statuses and (statuses[0].get("state") or {}).get("running"))


def test_previous_logs_of_the_crashing_container(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    eventually(lambda: _restarts(sb, "error") >= 1, 20)
    text = logs.fetch_logs(conn, "default", "error", "web", previous=True)
    assert "sleep: invalid time interval 'a'" in text


def test_waiting_container_error_is_the_server_message(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    eventually(lambda: _waiting_reason(sb, "backoff") in ("ImagePullBackOff", "ErrImagePull"), 20)
    with pytest.raises(KubeError) as exc:
        logs.fetch_logs(conn, "default", "backoff", "web")
    assert str(exc.value).startswith('container "web" in pod "backoff" is waiting to start: ')


def test_missing_pod(sb: Sandbox) -> None:
    with pytest.raises(KubeError, match='pods "nosuch" not found'):
        logs.fetch_logs(connect(str(sb.kubeconfig)), "default", "nosuch", "web")


def test_follow_streams_batches_and_stops_promptly(sb: Sandbox) -> None:
    sb.apply_yaml("""
apiVersion: v1
kind: Pod
metadata: {name: ticker, namespace: default}
spec:
  containers:
    - name: main
      image: busybox
      command: ["sh", "-c", "while :; do echo tick; sleep 1; done"]
""")
    conn = connect(str(sb.kubeconfig))
    stop = threading.Event()
    seen: list[str] = []
    ended = threading.Event()

    def consume() -> None:
        try:
            for batch in logs.follow_logs(conn, "default", "ticker", "main", tail_lines=2,
                                          timestamps=True, stop=stop):
                seen.extend(batch)
        finally:
            ended.set()

    def started() -> bool:
        try:
            return "tick" in logs.fetch_logs(conn, "default", "ticker", "main")
        except KubeError:
            return False

    eventually(started, 20, 0.1)
    before = threading.active_count()
    worker = threading.Thread(target=consume)
    worker.start()
    eventually(lambda: len(seen) >= 3, 10)
    stamps = [line.split(" ", 1)[0] for line in seen]
    assert all(line.endswith(" tick") for line in seen)
    assert all(s[:2] == "20" and s.endswith("Z") for s in stamps)  # RFC 3339 prefixes, as asked
    assert stamps == sorted(stamps)  # in order, no replays
    t0 = time.monotonic()
    stop.set()
    assert ended.wait(2)
    assert time.monotonic() - t0 < 0.6
    worker.join(1)
    eventually(lambda: threading.active_count() <= before, 1)  # the stop watcher is gone too


def test_follow_on_a_silent_container_stops_within_half_a_second(sb: Sandbox) -> None:
    conn = connect(str(sb.kubeconfig))
    eventually(lambda: _running(sb, "running"), 20)
    stop = threading.Event()
    ended = threading.Event()
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            for _ in logs.follow_logs(conn, "default", "running", "web", tail_lines=0, timestamps=True,
                                      stop=stop):
                pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            ended.set()

    threading.Thread(target=consume, daemon=True).start()
    time.sleep(0.3)
    t0 = time.monotonic()
    stop.set()
    assert ended.wait(2)
    assert time.monotonic() - t0 < 0.6
    assert errors == []
