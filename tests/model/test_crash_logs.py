"""Which containers' logs are crash evidence (shared by `ktui diagnose` and the TUI), tested on records."""

from __future__ import annotations

from typing import Any

from ktui import resources as r
from ktui.decode import decode_object
from ktui.model.crash_logs import CrashIndex, crash_requests, log_lines, select_requests
from ktui.model.store import ClusterStore


def pod(name: str, *statuses: dict[str, Any], init: tuple[dict[str, Any], ...] = (), uid: str = "") -> r.Pod:
    record = decode_object(
        {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "uid": uid or f"uid-{name}"},
            "spec": {"containers": [{"name": s["name"], "image": "x"} for s in statuses]},
            "status": {"containerStatuses": list(statuses), "initContainerStatuses": list(init)},
        }
    )
    assert isinstance(record, r.Pod)
    return record


def status(name: str = "web", restarts: int = 0, state: Any = None, last: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "restartCount": restarts, "state": state or {"running": {}}}
    if last is not None:
        out["lastState"] = last
    return out


def terminated(code: int, reason: str = "Error") -> dict[str, Any]:
    return {"terminated": {"exitCode": code, "reason": reason}}


def waiting(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason}}


def test_crash_loop_reads_the_previous_run() -> None:
    p = pod("error", status(restarts=3, state=waiting("CrashLoopBackOff"), last=terminated(1)))
    (rq,) = crash_requests(p)
    assert (rq.namespace, rq.pod, rq.container) == ("default", "error", "web")
    assert (rq.previous, rq.restarts) == (True, 3)
    assert rq.key == "default/error/web"
    assert rq.cache_key == ("uid-error", "web", 3)


def test_running_again_after_a_crash_still_reads_the_previous_run() -> None:
    p = pod("flaky", status(restarts=1, state={"running": {}}, last=terminated(2)))
    assert [q.previous for q in crash_requests(p)] == [True]


def test_a_container_that_ended_reads_its_own_log() -> None:
    # restartPolicy Never: no newer container exists, the one that failed is the current one.
    p = pod("job-pod", status(state=terminated(1)))
    assert [q.previous for q in crash_requests(p)] == [False]


def test_oom_killed_counts_even_with_exit_code_0() -> None:
    p = pod("oom", status(restarts=1, last=terminated(0, "OOMKilled")))
    assert len(crash_requests(p)) == 1


def test_healthy_completed_and_never_started_are_not_read() -> None:
    assert crash_requests(pod("ok", status())) == ()
    assert crash_requests(pod("done", status(state=terminated(0, "Completed")))) == ()
    # Waiting to pull or to be created: nothing ever ran, there is no log.
    assert crash_requests(pod("pull", status(state=waiting("ImagePullBackOff")))) == ()
    assert crash_requests(pod("cfg", status(state=waiting("CreateContainerConfigError")))) == ()
    # A first start that failed (no earlier run): no previous log to ask for.
    assert crash_requests(pod("first", status(state=waiting("RunContainerError")))) == ()


def test_looping_on_exit_0_and_run_errors_after_earlier_runs_are_read() -> None:
    completed = terminated(0, "Completed")
    clean_loop = pod("loop", status(restarts=4, state=waiting("CrashLoopBackOff"), last=completed))
    assert [q.previous for q in crash_requests(clean_loop)] == [True]
    rerun = pod("rerun", status(restarts=2, state=waiting("RunContainerError")))
    assert [q.previous for q in crash_requests(rerun)] == [True]


def test_init_containers_come_first() -> None:
    p = pod(
        "init",
        status("app", state=waiting("PodInitializing")),
        init=(status("setup", restarts=2, state=waiting("CrashLoopBackOff"), last=terminated(1)),),
    )
    assert [q.container for q in crash_requests(p)] == ["setup"]


def test_select_requests_is_bounded() -> None:
    pods = [pod(f"p{i}", status(restarts=1, last=terminated(1))) for i in range(50)]
    picked = select_requests(pods, 15)
    assert [q.pod for q in picked] == [f"p{i}" for i in range(15)]


def test_log_lines_keeps_the_last_non_blank_lines() -> None:
    text = "\n".join(["", *[f"line {i}" for i in range(30)], "   ", ""])
    assert log_lines(text, 20) == tuple(f"line {i}" for i in range(10, 30))
    assert log_lines("") == ()


def test_crash_index_follows_change_sets_without_rescanning() -> None:
    store = ClusterStore()
    healthy = pod("ok", status(), uid="u-ok")
    store.replace("Pod", [healthy, pod("bad", status(restarts=1, last=terminated(1)), uid="u-bad")])
    index = CrashIndex()
    assert index.update(store.snapshot())
    assert [q.pod for q in index] == ["bad"] and index.full_scans == 1

    # The healthy pod crashes: one change, applied without a full scan.
    oom = pod("ok", status(restarts=1, last=terminated(137, "OOMKilled")), uid="u-ok")
    store.apply("Pod", "MODIFIED", oom)
    assert index.update(store.snapshot())
    assert sorted(q.pod for q in index) == ["bad", "ok"] and index.full_scans == 1
    assert index.of("u-ok")[0].restarts == 1

    # A change that leaves the reads as they were says so.
    store.apply("Pod", "MODIFIED", oom)
    assert not index.update(store.snapshot())

    store.apply("Pod", "DELETED", pod("bad", status(), uid="u-bad"))
    assert index.update(store.snapshot())
    assert [q.pod for q in index] == ["ok"] and index.of("u-bad") == ()
    assert index.full_scans == 1

    # A snapshot that does not continue the last one (made elsewhere) is scanned whole.
    assert not index.update(r.ClusterSnapshot(now=store.snapshot().now, pods=tuple(store.records("Pod"))))
    assert index.full_scans == 2
