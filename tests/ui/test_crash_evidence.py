"""Crash logs as evidence in the TUI, against a real seed sandbox over HTTP through the real client.

`ktui diagnose` quotes the previous run's log of the seed's `error` pod (bad_command: sleep: invalid
time interval 'a'); the TUI must say the same, read each run's log once, and say so when RBAC refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import wait_for

from ktui.kube.client import connect
from ktui.sandbox.runner import Sandbox
from ktui.ui.app import KtuiApp, make_app
from ktui.ui.widgets.diagnosis_view import DiagnosisView

pytestmark = pytest.mark.timeout(90)

LOG_LINE = "sleep: invalid time interval 'a'"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """The seed at 20x: `error` crash-loops with a restart every few seconds at first."""
    with Sandbox("seed", speed=20) as sandbox:
        yield sandbox


def app_on(kubeconfig: Any) -> KtuiApp:
    return make_app(connect(str(kubeconfig)), "default")


def uid_of(app: KtuiApp, name: str) -> str | None:
    return next((r.uid for r in app.main_screen.table.rows if r.name == name), None)


def root_of(app: KtuiApp, name: str) -> Any:
    uid, diagnosis = uid_of(app, name), app.main_screen.diagnosis
    if uid is None or diagnosis is None:
        return None
    findings = diagnosis.for_uid(uid)
    return findings[0] if findings else None


def log_reads(sandbox: Sandbox, user: str | None = None, pod: str = "error") -> list[Any]:
    return [
        e
        for e in sandbox.audit.entries()
        if e.subresource == "log" and e.name == pod and (user is None or e.user == user)
    ]


def fully_synced(app: KtuiApp) -> bool:
    # "live": every kind the feed lists is synced (or absent from this server); the status can be
    # shown just before the snapshot that completed the sync, so that one is awaited too.
    snapshot = app.main_screen.snapshot
    return app.main_screen.status.state == "live" and snapshot is not None and "Event" in snapshot.synced


def restarts_of(app: KtuiApp, name: str) -> int:
    return next((r.restart_count for r in app.main_screen.table.rows if r.name == name), -1)


async def test_selected_crash_shows_bad_command_with_the_log(sb: Sandbox) -> None:
    app = app_on(sb.kubeconfig)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: uid_of(app, "error"), timeout=20, what="error pod")
        # The first rows come before the other kinds are listed, and their verdicts (so the rows'
        # order) may change when those arrive: walk the list once every kind is in.
        await wait_for(pilot, lambda: fully_synced(app), timeout=20, what="every kind listed")
        table = app.main_screen.table
        table.focus()
        await pilot.press("home")
        for _ in range(len(table.rows)):  # arrow keys only, as a user would
            if table.cursor_row and table.cursor_row.name == "error":
                break
            await pilot.press("down")
        pane = app.main_screen.query_one(DiagnosisView)
        await wait_for(
            pilot,
            lambda: pane.findings
            and pane.findings[0].subject.name == "error"
            and pane.findings[0].category == "bad_command",
            timeout=15,
            what="bad_command in the Diagnosis pane",
        )
        root = pane.findings[0]
        assert LOG_LINE in root.summary
        assert f"log: {LOG_LINE}" in root.evidence
        # The pod's verdict reads the same diagnosis.
        assert next(r.severity for r in table.rows if r.name == "error") == "error"


async def test_background_read_without_selecting_and_bounded(sb: Sandbox) -> None:
    before = len(log_reads(sb))
    app = app_on(sb.kubeconfig)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: uid_of(app, "running"), timeout=20, what="pods")
        assert app.main_screen.table.select_uid(uid_of(app, "running") or "")
        # The screen takes the new row from the table's Highlighted message, on its next turn.
        await wait_for(pilot, lambda: (row := app.main_screen.pod_row) is not None and row.name == "running",
                       what="the selection on running")
        await wait_for(
            pilot,
            lambda: (f := root_of(app, "error")) is not None and f.category == "bad_command",
            timeout=15,
            what="bad_command for error read in the background",
        )
        assert app.main_screen.pod_row is not None and app.main_screen.pod_row.name == "running"
        assert f"log: {LOG_LINE}" in root_of(app, "error").evidence
        uid = uid_of(app, "error") or ""

        # Through at least one restart: one read per run (restart count), never one per snapshot.
        first = restarts_of(app, "error")
        await wait_for(pilot, lambda: restarts_of(app, "error") > first, timeout=30, what="a restart")
        await wait_for(
            pilot,
            lambda: restarts_of(app, "error") in app.evidence.read_runs(uid) and not app.evidence.in_flight(),
            timeout=10,
            what="the new run read",
        )
        runs = app.evidence.read_runs(uid)
        assert len(runs) >= 2 and len(log_reads(sb)) - before == len(runs), (runs, log_reads(sb)[before:])

        # Snapshots keep coming; while the restart count stays, nothing is read again.
        for _ in range(3):
            count, seq, reads = restarts_of(app, "error"), app._applied_seq, len(log_reads(sb))
            await pilot.pause(0.6)
            if restarts_of(app, "error") == count:
                assert app._applied_seq >= seq + 2, "no snapshots arrived: the check proves nothing"
                assert len(log_reads(sb)) == reads
                break
        else:
            pytest.fail("the restart count never held still for 0.6s")


async def test_forbidden_logs_leave_app_crash_and_say_why(sb: Sandbox) -> None:
    user = "no-logs"
    sb.faults.deny(user, "get", "pods/log")
    try:
        app = app_on(sb.kubeconfig_for(user))
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: uid_of(app, "error"), timeout=20, what="error pod")
            assert app.main_screen.table.select_uid(uid_of(app, "error") or "")
            pane = app.main_screen.query_one(DiagnosisView)
            await wait_for(
                pilot,
                lambda: pane.findings
                and pane.findings[0].subject.name == "error"
                and any("could not read the logs" in e for e in pane.findings[0].evidence),
                timeout=15,
                what="the log read failure in the Diagnosis pane",
            )
            root = pane.findings[0]
            assert root.category == "app_crash"
            note = next(e for e in root.evidence if "could not read the logs" in e)
            assert "forbidden" in note and "pods/log" in note
            first = restarts_of(app, "error")
            # Through a restart: the namespace refused pods/log, so nothing is asked again.
            await wait_for(pilot, lambda: restarts_of(app, "error") > first, timeout=30, what="a restart")
            await pilot.pause(0.3)
            reads = [e for e in sb.audit.entries() if e.user == user and e.subresource == "log"]
            assert 1 <= len(reads) <= 2 and all(e.code == 403 for e in reads), reads
    finally:
        sb.faults.allow(user, "get", "pods/log")


# ---------------------------------------------------------------------- EvidenceBook, on records


def crashing(name: str, restarts: int = 1, namespace: str = "default") -> Any:
    from ktui.decode import decode_object

    return decode_object(
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": f"uid-{namespace}-{name}",
                "creationTimestamp": "2025-12-31T23:00:00Z",
            },
            "spec": {"containers": [{"name": "web", "image": "x"}], "nodeName": "node-1"},
            "status": {
                "phase": "Running",
                "startTime": "2025-12-31T23:00:00Z",
                "containerStatuses": [
                    {
                        "name": "web",
                        "restartCount": restarts,
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
                    }
                ]
            },
        }
    )


def snapshot_of(*pods: Any, logs: dict[str, tuple[str, ...]] | None = None) -> Any:
    from datetime import UTC, datetime

    from ktui.resources import ClusterSnapshot

    return ClusterSnapshot(now=datetime(2026, 1, 1, tzinfo=UTC), pods=tuple(pods), logs=logs or {})


def fetched(book: Any, rq: Any, lines: tuple[str, ...] = ("boom",), error: str = "", code: int = 0) -> Any:
    from ktui.ui.evidence import CrashLogFetched

    return CrashLogFetched(rq, book.generation, lines=() if error else lines, error=error, code=code)


def test_book_reads_each_run_once_selected_first_background_one_at_a_time() -> None:
    from ktui.ui.evidence import EvidenceBook

    book = EvidenceBook()
    book.observe(snapshot_of(crashing("a"), crashing("b"), crashing("c")))
    first = book.claim("uid-default-c", 0.0)
    # The selected pod's read, and one background read beside it.
    assert [q.pod for q in first] == ["c", "a"]
    assert book.claim("uid-default-c", 0.0) == []  # in flight: never asked twice
    for rq in first:
        assert book.record(fetched(book, rq, (f"{rq.pod} died",)), 0.0)
    assert book.logs() == {"default/c/web": ("c died",), "default/a/web": ("a died",)}
    (b,) = book.claim(None, 0.0)
    assert b.pod == "b"
    book.record(fetched(book, b), 0.0)
    for _ in range(5):  # snapshots at the same restart counts: nothing more to read
        book.observe(snapshot_of(crashing("a"), crashing("b"), crashing("c")))
        assert book.claim("uid-default-c", 1.0) == []
    # A restart makes a new run: read again, once.
    book.observe(snapshot_of(crashing("a", restarts=2), crashing("b"), crashing("c")))
    (again,) = book.claim(None, 2.0)
    assert (again.pod, again.restarts) == ("a", 2)
    # The same lines as the last run's change nothing the diagnosis says: no re-diagnosis needed.
    assert not book.record(fetched(book, again, ("a died",)), 2.0)
    book.observe(snapshot_of(crashing("a", restarts=3), crashing("b"), crashing("c")))
    (third,) = book.claim(None, 3.0)
    assert book.record(fetched(book, third, ("a died differently",)), 3.0)
    assert book.logs()["default/a/web"] == ("a died differently",)


def test_book_holds_background_reads_when_asked() -> None:
    from ktui.ui.evidence import EvidenceBook

    book = EvidenceBook()
    book.observe(snapshot_of(crashing("a"), crashing("b"), crashing("c")))
    # While the first list streams in, the app asks for the selected pod's reads only.
    assert [q.pod for q in book.claim("uid-default-c", 0.0, background=False)] == ["c"]
    assert book.claim(None, 0.0, background=False) == []
    # Synced: the background reads start, one at a time.
    assert [q.pod for q in book.claim(None, 0.0)] == ["a"]


def test_book_tracks_a_bounded_number_of_containers() -> None:
    from ktui.ui.evidence import EvidenceBook

    book = EvidenceBook(max_tracked=5)
    read: set[str] = set()
    for restarts in (1, 2, 3):  # 100 crash loops restarting: reads stay on the same 5 containers
        book.observe(snapshot_of(*(crashing(f"p{i:03}", restarts) for i in range(100))))
        while batch := book.claim(None, 0.0):
            for rq in batch:
                read.add(rq.pod)
                book.record(fetched(book, rq), 0.0)
    assert read == {f"p{i:03}" for i in range(5)}
    # The selected pod is read even though it is not tracked.
    assert [q.pod for q in book.claim("uid-default-p050", 0.0)] == ["p050"]


def test_book_forbidden_namespace_is_not_asked_again_and_noted() -> None:
    from ktui.ui.evidence import EvidenceBook

    book = EvidenceBook(max_tracked=1)  # the one background slot must not stay on an unreadable pod
    book.observe(snapshot_of(crashing("a"), crashing("b"), crashing("x", namespace="other")))
    (rq,) = book.claim(None, 0.0)
    msg = 'pods "a" is forbidden: User "dev" cannot get resource "pods/log" in the namespace "default"'
    book.record(fetched(book, rq, error=msg, code=403), 0.0)
    assert book.note_for("uid-default-a") == (("web", msg),)
    # b was never read: its note names no other pod.
    (note,) = book.note_for("uid-default-b")
    assert note[1].startswith("forbidden: User \"dev\"") and '"a"' not in note[1]
    book.observe(snapshot_of(crashing("a", 5), crashing("b", 5), crashing("x", namespace="other")))
    assert [q.namespace for q in book.claim("uid-default-a", 100.0)] == ["other"]
    assert book.claim("uid-default-a", 1000.0) == []


def test_book_transient_errors_back_off_and_give_up() -> None:
    from ktui.ui.evidence import MAX_ATTEMPTS, RETRY_AFTER, EvidenceBook

    book = EvidenceBook()
    book.observe(snapshot_of(crashing("a")))
    now, attempts = 0.0, 0
    while batch := book.claim(None, now):
        attempts += 1
        book.record(fetched(book, batch[0], error="connection refused"), now)
        assert book.claim(None, now + 1) == []  # not in a loop
        now += RETRY_AFTER * 2**attempts
    assert attempts == MAX_ATTEMPTS
    assert book.note_for("uid-default-a") == (("web", "connection refused"),)


def test_book_ignores_reads_of_a_cleared_context_and_logs_the_snapshot_carries() -> None:
    from ktui.ui.evidence import EvidenceBook

    book = EvidenceBook()
    book.observe(snapshot_of(crashing("a")))
    (rq,) = book.claim(None, 0.0)
    late = fetched(book, rq)
    book.clear()
    assert not book.record(late, 0.0) and book.logs() == {}
    book.observe(snapshot_of(crashing("a"), logs={"default/a/web": ("from a dump",)}))
    assert book.claim("uid-default-a", 0.0) == []


def test_notes_become_evidence_of_the_containers_finding() -> None:
    from ktui.diagnosis import diagnose
    from ktui.ui.evidence import EvidenceBook, with_log_notes

    p = crashing("a")
    snap = snapshot_of(p)
    diagnosis = diagnose(snap)
    book = EvidenceBook()
    assert with_log_notes(diagnosis, book) is diagnosis  # nothing failed: the engine's own object
    book.observe(snap)
    (rq,) = book.claim(None, 0.0)
    book.record(fetched(book, rq, error="container gone", code=404), 0.0)
    noted = with_log_notes(diagnosis, book)
    root = noted.for_uid("uid-default-a")[0]
    assert root.category == diagnosis.for_uid("uid-default-a")[0].category
    assert root.evidence[-1] == "log: could not read the logs of container web: container gone"
    assert noted.verdict("uid-default-a") == diagnosis.verdict("uid-default-a")
    assert book.claim(None, 99.0) == []  # a 404 is not retried for this run
