"""ktui under measurement (``bench.ktui_child`` starts it): JSON-lines timestamps out, JSON commands in.

``app`` mode runs the real ``KtuiApp`` headless (``App.run_test``) on a ``ClusterSource``; ``feed``
mode runs the same pipeline without the UI (``ClusterFeed`` -> diagnose -> pod rows, exactly the
app's snapshot callback). Instrumentation stays outside ktui's code: a Source wrapper times the
snapshot callback (diagnosis + rows), a MainScreen subclass notes which snapshot was applied, and an
App subclass stamps every composed frame (``_display``, which headless mode still calls).

Events (stdout, one JSON object per line, ``t`` = CLOCK_MONOTONIC seconds):
``first_rows`` first frame with a screenful of pod rows; ``sync`` the snapshot holding all pods
arrived; ``diagnosis`` its diagnosis and rows were done; ``full_paint`` the frame after it was
applied; ``ready`` with memory figures. Then commands: ``mark``, ``report``, ``wait_digest``,
``keys``, ``filter``, ``gc``, ``quit``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from typing import Any

from bench.sandbox_proc import SENT_KEY, digest

_PAGE = os.sysconf("SC_PAGE_SIZE")


def emit(ev: str, **kw: Any) -> None:
    """One event line on stdout."""
    sys.stdout.write(json.dumps({"ev": ev, "t": time.monotonic(), **kw}) + "\n")
    sys.stdout.flush()


def rss() -> int:
    """Resident set size now, in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def peak_rss() -> int:
    """Peak resident set size of this process, in bytes."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def traced() -> int | None:
    """Bytes tracemalloc holds now (None when it is off)."""
    return tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None


def summary(values: list[float]) -> dict[str, float]:
    """count / p50 / p99 / max of a list of seconds."""
    if not values:
        return {"n": 0}
    s = sorted(values)

    def q(p: float) -> float:
        return s[max(0, min(len(s) - 1, round(p * (len(s) - 1))))]

    return {"n": len(s), "p50": q(0.5), "p99": q(0.99), "max": s[-1], "mean": sum(s) / len(s)}


def changed_pods(snap: Any) -> Any:
    """The pods changed since the previous snapshot (all of them when the snapshot cannot say).

    Only these can carry a new stamp: scanning all 10k pods on every snapshot would charge the
    measured process ~100 ms of CPU per second of storm, on the thread being measured.
    """
    changes = snap.changes
    if changes is None or snap.changes_since < 0:
        return snap.pods
    if "Pod" not in changes:
        return ()
    pods = changes["Pod"]
    return snap.pods if pods is None else [p for p in pods.values() if p is not None]


class Tracker:
    """What the measured pipeline did, gathered from the feed thread and the UI loop."""

    def __init__(self, expect: int, *, paints: bool = True) -> None:
        self.expect = expect
        self.paints = paints  # feed mode composes no frames: keep no stamps waiting for one
        self.lock = threading.Lock()
        self.latest: Any = None
        self.max_stamp = 0
        self.synced_version: int | None = None
        self._diagnosis_emitted = False
        self.stamps_by_version: dict[int, list[int]] = {}
        self._digested: tuple[Any, tuple[int, str]] | None = None
        self.reset()
        self.gc_pauses: list[tuple[int, float]] = []
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)

    def reset(self) -> None:
        """Start a measurement window (``mark``)."""
        with self.lock:
            self.diag_lags: list[float] = []
            self.paint_lags: list[float] = []
            self.diag_times: list[float] = []
            self.frames: list[float] = []
            self.stalls: list[float] = []
            self.snapshots = 0
            self.gc_pauses = []
            self.cpu0 = time.process_time()
            self.harness_cpu = 0.0  # the CPU this harness spent in the window (digest polls), not ktui's
            self.t0 = time.monotonic()

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_pauses.append((int(info.get("generation", -1)), time.perf_counter() - self._gc_start))

    def snapshot_begin(self, snap: Any) -> list[int]:
        """On the feed thread, before the measured callback: the storm stamps new in this snapshot.

        Registered for the frame before the callback posts the snapshot: the UI may apply and paint
        it before the callback returns, and a stamp noted after its frame would never be timed.
        """
        fresh: list[int] = []
        top = self.max_stamp
        for p in changed_pods(snap):
            ann = p.metadata.annotations
            if ann:
                s = ann.get(SENT_KEY)
                if s is not None:
                    v = int(s)
                    if v > self.max_stamp:
                        fresh.append(v)
                        top = max(top, v)
        self.max_stamp = top
        if fresh and self.paints:
            with self.lock:
                self.stamps_by_version[snap.version] = fresh
        return fresh

    def snapshot_done(self, snap: Any, t_in: float, t_out: float, fresh: list[int]) -> None:
        """On the feed thread, after the measured callback: the diagnosis lags of its fresh stamps."""
        with self.lock:
            self.latest = snap
            self.snapshots += 1
            self.diag_times.append(t_out - t_in)
            t_ns = t_out * 1e9
            self.diag_lags.extend((t_ns - v) / 1e9 for v in fresh)
        if self.synced_version == snap.version and not self._diagnosis_emitted:
            self._diagnosis_emitted = True
            emit("diagnosis", t_diag=t_out, seconds=t_out - t_in)

    def note_sync(self, snap: Any, t_in: float) -> None:
        """Before the measured callback: is this the first snapshot holding every pod?

        Set before the snapshot is posted, so the UI can never paint it before it is known as
        the synced one (that race left runs waiting for a full paint that had already happened).
        """
        if self.synced_version is None and len(snap.pods) >= self.expect and "Pod" in snap.synced:
            self.synced_version = snap.version
            emit("sync", t_snap=t_in, pods=len(snap.pods))

    def waiting(self, version: int) -> bool:
        """Whether stamps of this version or an older one still wait for a frame."""
        with self.lock:
            return any(v <= version for v in self.stamps_by_version)

    def painted(self, version: int, t: float) -> None:
        """A frame showing the snapshot of this version (so every change up to it) was composed at t.

        Also times the stamps of older versions the app never applied on their own (a newer message
        overtook them): their changes are in this one.
        """
        with self.lock:
            done = [v for v in self.stamps_by_version if v <= version]
            for v in done:
                stamps = self.stamps_by_version.pop(v)
                self.paint_lags.extend((t * 1e9 - s) / 1e9 for s in stamps)

    def digest(self) -> tuple[int, str]:
        """(pod count, digest) of the latest snapshot; its CPU is the harness's, kept out of ktui's.

        Hashing every pod costs ~10 ms at 20k pods: polled every 10 ms it would charge ktui a cost
        that grows with the cluster (B4-scale) and is not ktui's.
        """
        snap = self.latest
        if snap is None:
            return 0, ""
        if self._digested is not None and self._digested[0] is snap:
            return self._digested[1]  # a poll between two snapshots: nothing new to hash
        t0 = time.thread_time()
        result = len(snap.pods), digest([(p.metadata.uid, p.metadata.resource_version) for p in snap.pods])
        self.harness_cpu += time.thread_time() - t0
        self._digested = (snap, result)
        return result

    def report(self, **extra: Any) -> dict[str, Any]:
        """The window's figures."""
        with self.lock:
            gaps = [b - a for a, b in zip(self.frames, self.frames[1:], strict=False)]
            return {
                "seconds": time.monotonic() - self.t0,
                "cpu": time.process_time() - self.cpu0 - self.harness_cpu, "harness_cpu": self.harness_cpu,
                "diag_lag": summary(self.diag_lags), "paint_lag": summary(self.paint_lags),
                "diag_time": summary(self.diag_times), "snapshots": self.snapshots,
                "frames": len(self.frames), "frame_gap_max": max(gaps, default=0.0),
                "stall_max": max(self.stalls, default=0.0),
                "gc_max": max((d for _, d in self.gc_pauses), default=0.0),
                "gc_count": len(self.gc_pauses),
                "gc_by_generation": {g: [sum(1 for x, _ in self.gc_pauses if x == g),
                                         sum(d for x, d in self.gc_pauses if x == g)] for g in (0, 1, 2)},
                "rss": rss(), "peak_rss": peak_rss(), **extra,
            }


class Commands:
    """JSON commands from stdin, queued onto an asyncio loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.loop = loop
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.loop.call_soon_threadsafe(self.queue.put_nowait, json.loads(line))
        self.loop.call_soon_threadsafe(self.queue.put_nowait, {"cmd": "quit"})


async def wait_digest(tracker: Tracker, cmd: dict[str, Any], table: Any = None) -> None:
    """Poll until ktui's latest snapshot equals the server's state; then report duplicates."""
    deadline = time.monotonic() + float(cmd.get("timeout", 60))
    want = cmd["digest"]
    while time.monotonic() < deadline:
        n, d = tracker.digest()
        if d == want:
            extra: dict[str, Any] = {}
            if table is not None:
                uids = [row.uid for row in table._rows]
                extra = {"rows": len(uids), "duplicates": len(uids) - len(set(uids))}
            emit("consistent", n=n, ok=True, **extra)
            return
        await asyncio.sleep(0.01)
    n, d = tracker.digest()
    emit("consistent", n=n, ok=False, digest=d)

async def common_command(tracker: Tracker, cmd: dict[str, Any], table: Any = None) -> bool:
    """The commands both modes answer (mark, report, wait_digest); False if ``cmd`` is another."""
    op = cmd.get("cmd")
    if op == "mark":
        tracker.reset()
        emit("marked")
    elif op == "report":
        n, d = tracker.digest()
        emit("report", **tracker.report(n=n, digest=d))
    elif op == "wait_digest":
        await wait_digest(tracker, cmd, table)
    else:
        return False
    return True



async def stall_monitor(tracker: Tracker) -> None:
    """The event loop's lag: how late a 2 ms sleep wakes up (a stall blocks keys and frames alike)."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.002)
        late = time.perf_counter() - t - 0.002
        if late > 0.004:
            tracker.stalls.append(late)


def build_app(source: Any, tracker: Tracker) -> Any:
    """KtuiApp on a (prefetched) ClusterSource, with frame and snapshot stamps added by subclassing."""
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.main import MainScreen
    from ktui.ui.source import ClusterSource


    class TimedSource:
        """The real source; its snapshot callback (diagnosis + rows + post) is timed."""

        def __init__(self, inner: ClusterSource) -> None:
            self.__dict__["inner"] = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def __setattr__(self, name: str, value: Any) -> None:
            setattr(self.inner, name, value)

        def start(self, on_snapshot: Any, on_status: Any) -> None:
            def timed(snap: Any) -> None:
                t_in = time.monotonic()
                tracker.note_sync(snap, t_in)
                fresh = tracker.snapshot_begin(snap)
                on_snapshot(snap)
                tracker.snapshot_done(snap, t_in, time.monotonic(), fresh)

            emit("source_start", rss=rss(), traced=traced())
            self.inner.start(timed, on_status)

    class TimedScreen(MainScreen):
        def apply_snapshot(self, snapshot: Any, diagnosis: Any, rows: Any, *args: Any, **kw: Any) -> None:
            super().apply_snapshot(snapshot, diagnosis, rows, *args, **kw)
            app.applied.append(snapshot.version)
            if tracker.waiting(snapshot.version):
                # A storm change to an off-screen pod repaints nothing, and "sent -> frame" would then
                # time the wait for some unrelated frame: ask for the repaint a changed visible row
                # gets (PodTable repaints only the lines of changed rows; line 0 is the header).
                self.table.refresh_lines(1)
            synced = tracker.synced_version
            if not app.full_painted and synced is not None and snapshot.version >= synced:
                # The synced snapshot may only touch off-screen rows, which repaint nothing: ask
                # for one frame so "all rows painted" is observed when it becomes true.
                self.refresh()

    class TimedApp(KtuiApp):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            self.applied: list[int] = []
            self.first_rows = False
            self.full_painted = False
            self.expect_fn: Any = None
            self.expect_fut: asyncio.Future[float] | None = None
            self.frame_hook: Any = None
            self.frames_composed = 0

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None:
                return
            t = time.monotonic()
            self.frames_composed += 1
            tracker.frames.append(t)
            if self.frame_hook is not None:
                self.frame_hook(t)
            applied, self.applied = self.applied, []
            for version in applied:
                tracker.painted(version, t)
                synced = tracker.synced_version
                # >=: with coalescing the exact synced version may be merged into a later one
                if not self.full_painted and synced is not None and version >= synced:
                    self.full_painted = True
                    emit("full_paint", t_frame=t)
            if not self.first_rows:
                shown = len(self.main_screen.table.rows)
                if shown >= min(tracker.expect, 30):
                    self.first_rows = True
                    emit("first_rows", t_frame=t, rows=shown)
            if self.expect_fut is not None and not self.expect_fut.done() and self.expect_fn():
                self.expect_fut.set_result(t)

    assert isinstance(source, ClusterSource)
    app = TimedApp(TimedSource(source))  # type: ignore[arg-type]
    app.main_screen = TimedScreen()
    return app


async def key_to_frame(app: Any, pilot: Any, key: str, done: Any) -> float:
    """Seconds from pressing ``key`` to the first frame in which ``done()`` holds."""
    loop = asyncio.get_running_loop()
    app.expect_fn, app.expect_fut = done, loop.create_future()
    t0 = time.monotonic()
    press = asyncio.ensure_future(pilot.press(key))
    try:
        t_frame = await asyncio.wait_for(asyncio.shield(app.expect_fut), 5)
    except TimeoutError:
        t_frame = float("nan")
    await press
    app.expect_fut = None
    return t_frame - t0


async def type_filter(app: Any, pilot: Any, table: Any, text: str) -> dict[str, Any]:
    """Open the filter box and type ``text``: each keystroke to its frame, and the row view's rebuild in it.

    The rebuild is timed inside the keystroke (the table's row order, wrapped on this instance only),
    not by setting the query again afterwards: that would repaint the list once more, and the next
    keystroke would wait behind a repaint no user causes.
    """
    order = table._order
    spent: list[float] = []

    def timed(*args: Any, _real: Any = order.set_filter) -> Any:
        t0 = time.perf_counter()
        try:
            return _real(*args)
        finally:
            spent.append(time.perf_counter() - t0)

    lat, rebuild = [], []
    order.set_filter = timed
    try:
        await key_to_frame(app, pilot, "slash", lambda: app.focused is not table)
        typed = ""
        for ch in text:
            typed += ch
            spent.clear()
            lat.append(await key_to_frame(app, pilot, ch, lambda q=typed: table.filter_query == q))
            rebuild.append(sum(spent))
        await key_to_frame(app, pilot, "escape", lambda: table.filter_query == "")
    finally:
        del order.set_filter
    return {"lat": lat, "rebuild": rebuild, "rows": table.total}


async def run_app(args: argparse.Namespace, source: Any, tracker: Tracker) -> None:
    """The TUI headless at 160x50 until ``quit``."""
    app = build_app(source, tracker)
    async with app.run_test(size=(160, 50)) as pilot:
        monitor = asyncio.ensure_future(stall_monitor(tracker))
        commands = Commands(asyncio.get_running_loop())
        deadline = time.monotonic() + args.sync_timeout
        while not app.full_painted and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        # A prelisted start loads the kubernetes package once the first lists are in, for the
        # watches: steady state (and what later benchmarks measure) is after that.
        while not source.conn.opened and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        auto = max((d for _, d in tracker.gc_pauses), default=0.0)  # before our own collect below
        gc.collect()
        emit("ready", rss=rss(), peak_rss=peak_rss(), synced=app.full_painted, gc_auto=auto,
             traced=traced())
        table = app.main_screen.table
        while True:
            cmd = await commands.queue.get()
            op = cmd.get("cmd")
            if op == "quit":
                break
            if await common_command(tracker, cmd, table):
                continue
            if op == "keys":
                lat = []
                for key in cmd["keys"]:
                    before = table._cursor_uid
                    lat.append(await key_to_frame(app, pilot, key, lambda b=before: table._cursor_uid != b))
                emit("keys", lat=lat)
            elif op == "filter":
                emit("filter", **await type_filter(app, pilot, table, cmd["text"]))
            elif op == "row_update":
                emit("row_update", seconds=await row_updates(app, int(cmd.get("n", 50))))
            elif op == "logs":
                await follow_in_pane(app, pilot, tracker, float(cmd["seconds"]))
            elif op == "gc":
                t0 = time.perf_counter()
                gc.collect()
                emit("gc", seconds=time.perf_counter() - t0, frozen=gc.get_freeze_count())
        monitor.cancel()


async def row_updates(app: Any, n: int) -> list[float]:
    """Seconds to take rows where one visible row changed (one cell) and compose the frame, n times.

    The new rows are built before the clock starts, as the pipeline hands them over (``Records``: the
    last rows plus the one changed; the feed thread builds them in ktui); the frame
    is composed synchronously (the screen's update-timer callback, after marking the table dirty as
    the screen's handler of the table's Update message would), so the figure is the loop's work
    for it, not the wait for the next frame slot. Updates that composed no frame are not counted.
    """
    import msgspec

    from ktui.resources.records import RecordLog

    table = app.main_screen.table
    out: list[float] = []
    current = {row.uid: row for row in table._last_rows}
    log = RecordLog()
    log.view(current, None)
    for i in range(n):
        top = int(table.scroll_y)
        shown = table.rows
        if not current or not shown:
            break
        visible = shown[min(top + 1, len(shown) - 1)]
        current[visible.uid] = msgspec.structs.replace(visible, age=f"{i % 50 + 1}s")
        new_rows = log.view(current, {visible.uid: current[visible.uid]})
        frames = app.frames_composed
        t0 = time.perf_counter()
        table.set_rows(new_rows, frozenset({visible.uid}))
        app.screen._dirty_widgets.add(table)  # what the screen's handler of the table's Update does
        app.screen._on_timer_update()
        t1 = time.perf_counter()
        if app.frames_composed > frames:  # else nothing was painted: not a measurement
            out.append(t1 - t0)
        await asyncio.sleep(0.02)
    return out


def _last_seq(view: Any) -> int:
    """The flood's sequence number of the newest line in the log view (-1 if none)."""
    lines = view._lines
    if not lines:
        return -1
    head = lines[-1][:10]
    return int(head) if head.isdigit() else -1


async def follow_in_pane(app: Any, pilot: Any, tracker: Tracker, seconds: float) -> None:
    """Open the logs pane on the selected pod and sample, frame by frame, how far the view got."""
    samples: list[tuple[float, int]] = []
    await pilot.press("l")  # opens the pane on the selected pod (a tail, not following yet)
    await asyncio.sleep(0.5)
    view = app.main_screen.log_pane.view  # the pane mounts its view when first needed
    rss_at: dict[str, int] = {}

    def sample(t: float) -> None:
        seq = _last_seq(view)
        samples.append((t, seq))
        if seq >= 0:
            base = rss_at.setdefault("base", seq)  # the first line shown
            if "1M" not in rss_at and seq - base >= 1_000_000:
                rss_at["1M"] = rss()  # memory once a million lines went by: it must stay flat from here

    app.frame_hook = sample
    tracker.reset()
    rss0 = rss()
    t0 = time.monotonic()
    await pilot.press("f")  # follow
    await asyncio.sleep(seconds)
    app.frame_hook = None
    report = tracker.report()
    shown = [(t, n) for t, n in samples if n >= 0]
    first = shown[0] if shown else (t0, 0)
    last = shown[-1] if shown else (t0, 0)
    emit("logs", t_open=t0, first_line=first[0] - t0, first_seq=first[1], last_seq=last[1],
         span=last[0] - first[0], held=view.line_count, rss0=rss0, rss_1m=rss_at.get("1M"), **report)


async def run_feed(args: argparse.Namespace, conn: Any, tracker: Tracker) -> None:
    """The pipeline without the UI: ClusterFeed -> diagnose -> pod rows, as the app's callback does."""
    from ktui.model.feed import ClusterFeed
    from ktui.model.tables import pod_rows
    from ktui.ui.app import run_diagnosis

    def on_snapshot(snap: Any) -> None:
        t_in = time.monotonic()
        tracker.note_sync(snap, t_in)
        fresh = tracker.snapshot_begin(snap)
        _diagnosis, verdicts, _error = run_diagnosis(snap)
        pod_rows(snap.pods, snap.now, verdicts)
        tracker.snapshot_done(snap, t_in, time.monotonic(), fresh)

    feed = ClusterFeed(conn, args.namespace, on_snapshot=on_snapshot,
                       on_status=lambda _s: None, max_hz=args.max_hz)
    emit("source_start", rss=rss(), traced=traced())
    feed.start()
    commands = Commands(asyncio.get_running_loop())
    deadline = time.monotonic() + args.sync_timeout
    while tracker.synced_version is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    gc.collect()
    emit("ready", rss=rss(), peak_rss=peak_rss(), synced=tracker.synced_version is not None)
    try:
        while True:
            cmd = await commands.queue.get()
            op = cmd.get("cmd")
            if op == "quit":
                break
            await common_command(tracker, cmd)
    finally:
        feed.stop()


def run_forward(args: argparse.Namespace, conn: Any) -> None:
    """B7: a ktui port-forward (the probes' ForwardManager) to pod:port; report ready and death."""
    from ktui.probes.forwards import ForwardManager

    manager = ForwardManager(conn, interval=0.2)
    ns, pod = args.namespace or "default", args.pod
    t0 = time.monotonic()
    fwd = manager.forward_pod(ns, pod, args.port)
    emit("forward_ready", port=fwd.session.local_port, ready=time.monotonic() - t0)
    try:
        for line in sys.stdin:
            cmd = json.loads(line)
            if cmd.get("cmd") == "watch_dead":
                deadline = time.monotonic() + float(cmd.get("timeout", 10))
                while fwd.dead is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                emit("dead", cause=fwd.dead)
            elif cmd.get("cmd") == "quit":
                break
    finally:
        manager.close_all()


def main(args: argparse.Namespace, source: Any, t_start: float) -> int:
    """Import ktui, connect, run the mode (``source``: the app's, already made by the entry)."""
    if args.tracemalloc and not tracemalloc.is_tracing():
        tracemalloc.start()
    from ktui.resources import collector

    tracker = Tracker(args.expect, paints=args.mode == "app")
    emit("imported", t_start=t_start, rss=rss(),
         traced=traced())
    if args.mode == "app":
        asyncio.run(run_app(args, source if source is not None else app_source(args), tracker))
        return 0
    # As `ktui` does (ktui/commands/tui.py): the kubernetes package and the configuration load with
    # the collector held off, then frozen.
    with collector.paused():
        from ktui.kube.client import connect

        conn = connect(args.kubeconfig)
    if args.mode == "forward":
        run_forward(args, conn)
    else:
        asyncio.run(run_feed(args, conn, tracker))
    return 0


def app_source(args: argparse.Namespace) -> Any:
    """The app's source when the entry did not make it: ``--no-prefetch`` (B2's baseline) connects,
    and nothing is listed before the app starts."""
    from ktui.resources import collector

    with collector.paused():
        from ktui.kube.client import connect
        from ktui.ui.source import ClusterSource

        source = ClusterSource(connect(args.kubeconfig), args.namespace)
        import ktui.ui.app  # noqa: F401
    return source
