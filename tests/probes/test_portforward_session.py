"""PortForwardSession and the HTTP/TCP checks over the sandbox's real port-forward endpoint."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from probe_helpers import BANNER_PORT, ECHO_PORT, FakeCluster, ktui_threads, listening_ports, port_accepts

from ktui.kube.portforward import PortForwardError, PortForwardSession
from ktui.probes.http import http_get, tcp_check


def wait_until(pred, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_http_through_forward_reports_status_bytes_and_latency(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        outcome = http_get(session, count=3)
    assert [a.status for a in outcome.attempts] == [200, 200, 200]
    assert "Welcome to nginx!" in outcome.first_bytes
    assert outcome.latency_ms is not None and outcome.latency_ms > 0
    assert outcome.latency_text().startswith("3 requests, median")
    # one WebSocket (one dial) per connection, plus at most the two spares opened ahead
    dials = fake_cluster.agent.dials
    assert set(dials) == {("running", 80)} and 3 <= len(dials) <= 5


def test_ready_means_a_spare_is_open_and_the_connection_is_spliced_onto_it(fake_cluster: FakeCluster) -> None:
    session = PortForwardSession(fake_cluster.conn, "default", "running", BANNER_PORT)
    try:
        session.start()
        assert session.wait_ready(5.0)
        assert fake_cluster.agent.dials  # the spare's backend connection exists before any user
        before = time.monotonic_ns()
        with socket.create_connection(("127.0.0.1", session.local_port), timeout=5) as sock:
            banner = sock.recv(256)
        # the pod greeted the spare before this connection was made, and the greeting was kept
        assert banner.startswith(b"BANNER ") and int(banner.split()[1]) < before
    finally:
        session.close()


def test_large_transfers_both_ways_with_backpressure(fake_cluster: FakeCluster) -> None:
    payload = bytes(range(256)) * (4 * 4096)  # 4 MiB: several times the relay's high-water mark
    with PortForwardSession(fake_cluster.conn, "default", "running", ECHO_PORT) as session:
        sock = socket.create_connection(("127.0.0.1", session.local_port), timeout=10)
        writer = threading.Thread(target=sock.sendall, args=(payload,))
        writer.start()
        got = bytearray()
        while len(got) < len(payload):
            chunk = sock.recv(1 << 16)
            assert chunk, f"closed after {len(got)} bytes"
            got += chunk
        writer.join(10)
        peer = sock.getsockname()[1]
        sock.close()
        rec = session.record_for(peer)
    assert bytes(got) == payload
    assert rec is not None and rec.sent == rec.received == len(payload) and rec.error is None


def test_spares_never_judge_and_a_refused_port_is_not_hammered(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 81) as session:
        assert session.wait_ready(5.0)
        time.sleep(0.3)  # spares were refused meanwhile: they back off (0.5 s first) and say nothing
        assert session.dead is None
        assert 1 <= len(fake_cluster.agent.dials) <= 2
        outcome = http_get(session, count=1)  # a user's connection is what finds the port refused
        assert session.dead == "connection refused on :81"
    assert outcome.error is not None and "connection refused" in outcome.error


def test_refused_port_gives_the_error_channel_text_and_kills_the_session(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 81) as session:
        outcome = http_get(session)
        assert session.dead == "connection refused on :81"
    assert outcome.error is not None and "connect: connection refused" in outcome.error
    assert "error forwarding port 81" in outcome.error
    assert len(outcome.attempts) == 1  # a refused port is not hammered


def test_tcp_check_open_and_refused(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        open_ = tcp_check(session, wait=0.5)
    assert open_.answered and open_.tcp_only
    with PortForwardSession(fake_cluster.conn, "default", "running", 5432) as session:
        refused = tcp_check(session, wait=2.0)
    assert not refused.answered and "connection refused" in (refused.error or "")


def test_missing_pod_is_pod_replaced(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "gone", 80) as session:
        outcome = http_get(session)
        assert session.dead == "pod replaced"
    assert outcome.error == 'pods "gone" not found'


def test_listener_is_loopback_only_and_busy_port_is_reported(fake_cluster: FakeCluster) -> None:
    with PortForwardSession(fake_cluster.conn, "default", "running", 80) as session:
        assert session._listener is not None
        assert session._listener.getsockname()[0] == "127.0.0.1"
        # nothing answers on the machine's other addresses for that port
        other = socket.gethostbyname(socket.gethostname())
        if other != "127.0.0.1" and not other.startswith("127."):
            with socket.socket() as s:
                s.settimeout(1)
                assert s.connect_ex((other, session.local_port)) != 0
        busy = PortForwardSession(fake_cluster.conn, "default", "running", 80, local_port=session.local_port)
        with pytest.raises(PortForwardError) as info:
            busy.start()
        assert info.value.cause == "local port busy" and busy.dead == "local port busy"
        busy.close()


def test_retarget_moves_new_connections(fake_cluster: FakeCluster) -> None:
    fake_cluster.add_pod("other")
    changes: list[str | None] = []
    with PortForwardSession(
        fake_cluster.conn, "default", "gone", 80, on_change=lambda s: changes.append(s.dead)
    ) as session:
        assert http_get(session, count=1).error
        assert session.dead == "pod replaced"
        session.retarget("other", 80)
        assert session.dead is None
        assert http_get(session, count=1).status_code == 200
    assert changes == ["pod replaced", None]
    assert ("other", 80) in fake_cluster.agent.dials


def test_close_leaves_no_thread_or_listener(fake_cluster: FakeCluster) -> None:
    before_threads = {t.ident for t in ktui_threads()}
    session = PortForwardSession(fake_cluster.conn, "default", "running", 80)
    port = session.start()
    assert port in listening_ports()
    # an idle connection held open while the session closes
    idle = socket.create_connection(("127.0.0.1", port))
    assert wait_until(lambda: len(session.records) == 1)
    http_get(session, count=2)
    session.close()
    idle.close()
    assert wait_until(lambda: {t.ident for t in ktui_threads()} <= before_threads), ktui_threads()
    assert port not in listening_ports()
    assert not port_accepts(port)
