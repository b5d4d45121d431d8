"""One container's fault: crash, OOM kill, bad command, runtime error, missing config, failing probes."""

from __future__ import annotations

import re
from datetime import timedelta

from ktui.diagnosis.findings import Severity
from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit, plural
from ktui.diagnosis.rules.config import config_hit
from ktui.diagnosis.rules.events import age, event_line, human_duration, occurrences
from ktui.diagnosis.rules.images import PULL_REASONS, image_hit
from ktui.diagnosis.shell import q
from ktui.resources import Container, ContainerStateTerminated, ContainerStatus, Event, Pod

_EXEC_NOT_FOUND = re.compile(
    r'exec: \\*"([^"\\]+)\\*": (executable file not found in \$PATH|'
    r"stat [^:]+: no such file or directory|permission denied)"
)
_EXEC_PLAIN = re.compile(r"exec (\S+): (no such file or directory|permission denied|exec format error)")
_USAGE = re.compile(
    r"invalid (?:time interval|option|argument|duration|number)|Try '[^']+ --help'|^\s*usage:|"
    r"unrecognized option|unknown (?:shorthand )?(?:flag|option|command)|flag provided but not defined|"
    r"^(?:/bin/)?(?:ba)?sh: .*(?:not found|No such file or directory)|command not found|"
    r"can't open '[^']+': No such file",
    re.I | re.M,
)
_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM"}
CRASH_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "RunContainerError",
        "CreateContainerError",
        "StartError",
        "ContainerCannotRun",
        "PostStartHookError",
        "PreStartHookError",
    }
)
RECENT = timedelta(hours=1)


_RUNTIME_NOISE = re.compile(
    r"^(?:Error: |failed to (?:create|start) containerd task: |failed to create shim task: |"
    r"OCI runtime (?:create|start|exec) failed: |runc (?:create|start) failed: |"
    r"unable to start container process: |error during container init: |"
    r"container_linux\.go:\d+: starting container process caused:? )+"
)
_MOUNT = re.compile(r'error mounting "[^"]*" to rootfs at "([^"]+)".*: ([^:]+)$')


def runtime_why(message: str) -> str:
    """The runtime's error without its wrapping: 'mount of /etc/nginx/nginx.conf failed: not a directory'."""
    text = " ".join(message.split())
    text = re.sub(r":? unknown$", "", text)
    text = _RUNTIME_NOISE.sub("", text.replace("rpc error: code = Unknown desc = ", ""))
    f = _EXEC_NOT_FOUND.search(text) or _EXEC_PLAIN.search(text)
    if f is not None and "executable file not found" not in f.group(2):
        what = f.group(2)
        if "no such file" in what:
            return f"{f.group(1)} does not exist in the container (not in the image, not on a mounted volume)"
        if "permission denied" in what:
            return f"{f.group(1)} is not executable (permission denied)"
        return f"{f.group(1)}: exec format error (the image is built for another CPU architecture)"
    m = _MOUNT.search(text)
    if m:
        hint = " (a directory mounted onto a file path? use subPath)" if "directory" in m.group(2) else ""
        return f"mounting {m.group(1)} failed: {m.group(2).strip()}{hint}"
    if "exec format error" in text:
        return f"{text} (the image is built for another CPU architecture)"
    return text[:200]


def exit_meaning(code: int) -> str:
    """A short gloss of an exit code: ', command not found', ', killed by SIGKILL'."""
    if code == 126:
        return ", command not executable"
    if code == 127:
        return ", command not found"
    if code > 128 and code - 128 in _SIGNALS:
        return f", killed by {_SIGNALS[code - 128]}"
    if code == 1:
        return ", application error"
    if code == 0:
        return ", the process ended on its own: a long-running container must not exit"
    return ""


def _field_path_events(events: list[Event], name: str, init: bool) -> list[Event]:
    path = f"spec.{'initContainers' if init else 'containers'}{{{name}}}"
    return [e for e in events if not e.involved_object.field_path or e.involved_object.field_path == path]


def _terminated_line(ix: Index, t: ContainerStateTerminated, label: str) -> str:
    when = t.finished_at or t.started_at
    msg = f": {' '.join(t.message.split())}" if t.message else ""
    return f"{label}: terminated {t.reason or '?'}, exit code {t.exit_code}, {age(ix.now, when)} ago{msg}"


def _bad_command(spec: Container, text: str, exit_code: int | None, log_lines: tuple[str, ...]) -> str | None:
    """Why the command is wrong, or None when the failure does not point at the command."""
    m = _EXEC_NOT_FOUND.search(text) or _EXEC_PLAIN.search(text)
    if m:
        # Only a failed $PATH lookup is a wrong command name. A missing absolute path, a file that is not
        # executable or built for another CPU is the container's filesystem: a runtime error.
        if "executable file not found" not in m.group(2):
            return None
        return f'"{m.group(1)}": executable file not found in $PATH of the image'
    if exit_code in (126, 127):
        cmd = " ".join((spec.command or ()) + (spec.args or ())) or "the image's entrypoint"
        return f"{cmd!r} exits {exit_code}{exit_meaning(exit_code)}"
    if exit_code not in (0, None) and log_lines:
        for line in log_lines:
            if _USAGE.search(line) and (spec.command or spec.args):
                return line.strip()
    return None


def _logs(ix: Index, pod: Pod, name: str) -> tuple[str, ...]:
    return ix.snap.logs.get(f"{pod.metadata.namespace}/{pod.metadata.name}/{name}", ())


def _commands(pod: Pod, name: str, previous: bool) -> list[str]:
    meta = pod.metadata
    c = f" -c {q(name)}" if len(pod.spec.containers) + len(pod.spec.init_containers) > 1 else ""
    prev = " --previous" if previous else ""
    return [f"kubectl logs {q(meta.name)} -n {q(meta.namespace)}{c}{prev}"]


def warmup_time(spec: Container) -> timedelta:
    """How long a fresh container may stay unready: the readiness probe's initial delay and first
    failures, and never less than two minutes."""
    probe = spec.readiness_probe or spec.startup_probe
    if probe is None:
        return timedelta(minutes=2)
    seconds = (probe.initial_delay_seconds or 0) + (probe.period_seconds or 10) * (
        probe.failure_threshold or 3
    )
    return max(timedelta(seconds=seconds + 30), timedelta(minutes=2))


def _failing_steadily(spec: Container, events: list[Event]) -> bool:
    """Whether the readiness probe failed well past its threshold (twice over): a verdict even when young."""
    probe = spec.readiness_probe
    if probe is None:
        return False
    count = sum(
        occurrences(e)
        for e in events
        if e.reason == "Unhealthy" and (e.message or "").startswith("Readiness")
    )
    return count >= 2 * max(probe.failure_threshold or 3, 3)


def _probe_hit(ix: Index, pod: Pod, spec: Container, events: list[Event], kind: str) -> Hit | None:
    """A readiness/liveness/startup probe failure from the kubelet's Unhealthy events."""
    prefix = f"{kind} probe failed:"
    failed = [e for e in events if e.reason == "Unhealthy" and (e.message or "").startswith(prefix)]
    if not failed:
        return None
    why = " ".join((failed[0].message or "")[len(prefix) :].split())[:200]
    category = "readiness_probe_failure" if kind == "Readiness" else "liveness_probe_failure"
    ev = [event_line(e, ix.now) for e in failed[:2]]
    ev += [event_line(e, ix.now) for e in events if e.reason == "Killing" and "probe" in (e.message or "")][
        :1
    ]
    return Hit(
        category,
        {"container": spec.name, "why": why or "no detail", "probe": kind.lower()},
        ev,
        _commands(pod, spec.name, kind != "Readiness"),
    )


def _termination_hit(
    ix: Index,
    pod: Pod,
    spec: Container,
    status: ContainerStatus,
    t: ContainerStateTerminated,
    events: list[Event],
    how: str,
) -> Hit:
    """Why a terminated run ended: OOM, bad command, runtime error, liveness kill or plain crash."""
    logs = _logs(ix, pod, spec.name)
    limit = (spec.resources.limits or {}).get("memory") if spec.resources else None
    restarts = plural(status.restart_count, "restart")
    ev = [_terminated_line(ix, t, "last state" if how != "exited" else "state")]
    ev += [event_line(e, ix.now) for e in events if e.type == "Warning"][:2]
    ev += [f"log: {line}" for line in logs[-10:]]
    cmds = _commands(pod, spec.name, how != "exited")
    text = " ".join(filter(None, [t.message, *(e.message or "" for e in events if e.type == "Warning")]))
    if t.reason == "OOMKilled" or "OOM-killed" in text or "oom-kill" in text.lower():
        limit_text = f" (limit {limit})" if limit else " (no memory limit: the node ran out)"
        return Hit(
            "oom_killed", {"container": spec.name, "limit": limit_text, "restarts": restarts}, ev, cmds
        )
    bad = _bad_command(spec, text, t.exit_code, logs)
    if bad:
        return Hit("bad_command", {"container": spec.name, "why": bad}, ev, cmds)
    if (
        t.reason in ("ContainerCannotRun", "StartError")
        or "OCI runtime" in text
        or "failed to create" in text
    ):
        why = runtime_why(t.message or text or t.reason or "")
        return Hit("container_runtime_error", {"container": spec.name, "why": why}, ev, cmds)
    probe = _probe_hit(ix, pod, spec, events, "Liveness") or _probe_hit(ix, pod, spec, events, "Startup")
    if probe is not None:
        probe.evidence = ev + probe.evidence
        return probe
    if logs:
        ev.append(f"log: (last {len(logs[-10:])} lines of the {'previous' if how != 'exited' else ''} run)")
    return Hit(
        "app_crash",
        {"container": spec.name, "how": how, "exit_code": t.exit_code, "meaning": exit_meaning(t.exit_code)},
        ev,
        cmds,
    )


def container_hit(
    ix: Index, pod: Pod, spec: Container, status: ContainerStatus | None, pod_events: list[Event], init: bool
) -> Hit | None:
    """The fault of one container, or None when it is fine (or has not been tried yet)."""
    hit = _container_hit(ix, pod, spec, status, pod_events, init)
    if hit is not None and init and "container" in hit.params:
        hit.params["container"] = f"{spec.name} (init)"  # every sentence says it is an init container
    return hit


def _container_hit(
    ix: Index, pod: Pod, spec: Container, status: ContainerStatus | None, pod_events: list[Event], init: bool
) -> Hit | None:
    if status is None:
        return None
    state = status.state
    waiting = state.waiting if state else None
    last = status.last_state.terminated if status.last_state else None
    label = "init container" if init else "container"
    if waiting is not None and waiting.reason:
        events = _field_path_events(pod_events, spec.name, init)
        reason = waiting.reason
        state_line = f"{label} {spec.name}: waiting {reason}" + (
            f": {waiting.message}" if waiting.message else ""
        )
        if reason in PULL_REASONS:
            msgs = [waiting.message or ""] + [
                e.message or ""
                for e in events
                if e.reason in ("Failed", "InspectFailed", "ErrImageNeverPull")
            ]
            hit = image_hit(ix, pod, spec, reason, [m for m in msgs if m])
            noisy = [e for e in events if e.type == "Warning" or e.reason == "BackOff"]
            noisy.sort(
                key=lambda e: (e.type != "Warning", e.message is None or e.message.startswith("Error:"))
            )
            hit.evidence = [state_line, *(event_line(e, ix.now) for e in noisy[:4])]
            return hit
        if reason == "CreateContainerConfigError":
            return config_hit(ix, pod, spec, waiting.message or "", state_line)
        if reason in CRASH_REASONS:
            if reason != "CrashLoopBackOff":
                t = ContainerStateTerminated(
                    exit_code=last.exit_code if last else 128, reason=reason, message=waiting.message
                )
                hit = _termination_hit(ix, pod, spec, status, t, events, "cannot start")
            elif last is not None:
                hit = _termination_hit(ix, pod, spec, status, last, events, "keeps crashing")
            else:
                hit = Hit(
                    "app_crash",
                    {"container": spec.name, "how": "keeps crashing", "exit_code": "?", "meaning": ""},
                    [],
                    _commands(pod, spec.name, True),
                )
            hit.evidence.insert(0, state_line)
            hit.evidence.insert(1, f"restarts: {status.restart_count}")
            return hit
        return None  # ContainerCreating / PodInitializing: judged at pod level (mounts, sandbox)
    terminated = state.terminated if state else None
    if terminated is not None:
        if terminated.exit_code == 0:
            return None
        events = _field_path_events(pod_events, spec.name, init)
        hit = _termination_hit(ix, pod, spec, status, terminated, events, "exited" if not init else "failed")
        return hit
    running = state.running if state else None
    if running is not None:
        return _running_hit(ix, pod, spec, status, pod_events, init, last)
    return None


def _running_hit(
    ix: Index,
    pod: Pod,
    spec: Container,
    status: ContainerStatus,
    pod_events: list[Event],
    init: bool,
    last: ContainerStateTerminated | None,
) -> Hit | None:
    """A running container: unready (probe), or restarting often (OOM, liveness, crash)."""
    if last is not None and status.restart_count >= 2:
        finished = last.finished_at
        recent = finished is not None and ix.now - finished < RECENT
        if last.reason == "OOMKilled" or (status.restart_count >= 3 and recent):
            events = _field_path_events(pod_events, spec.name, init)
            hit = _termination_hit(ix, pod, spec, status, last, events, "keeps crashing")
            hit.evidence.insert(
                0, f"container {spec.name}: running now, {plural(status.restart_count, 'restart')}"
            )
            if not recent:
                hit.severity = Severity.WARNING
            return hit
    if status.ready:
        return None  # (the common case: its events are not even filtered)
    events = _field_path_events(pod_events, spec.name, init)
    started = status.state.running.started_at if status.state and status.state.running else None
    warmup = warmup_time(spec)
    unhealthy = [e for e in events if e.type == "Warning"][:2]
    if started is not None and ix.now - started < warmup and not _failing_steadily(spec, events):
        # a fresh container failing its first probes is normal start-up, not a verdict yet
        state = f"container {spec.name} warming up, ready expected within {human_duration(warmup)}"
        return Hit(
            "pod_starting",
            {"state": state, "age": age(ix.now, started)},
            [event_line(e, ix.now) for e in unhealthy],
        )
    if spec.readiness_probe is not None and status.started is not False:
        probe = _probe_hit(ix, pod, spec, events, "Readiness")
        if probe is not None:
            probe.evidence.insert(0, f"container {spec.name}: running, not ready")
            return probe
    if spec.readiness_probe is not None:
        why = unhealthy[0].message if unhealthy else "not passing; no Unhealthy events recorded"
        return Hit(
            "readiness_probe_failure",
            {"container": spec.name, "why": " ".join((why or "").split())[:200]},
            [f"container {spec.name}: running {age(ix.now, started)}, not ready"]
            + [event_line(e, ix.now) for e in unhealthy],
            _commands(pod, spec.name, False),
        )
    why = f": {unhealthy[0].message}" if unhealthy else ""
    return Hit(
        "pod_not_ready",
        {"container": spec.name, "why": why},
        [f"container {spec.name}: running {age(ix.now, started)}, not ready"]
        + [event_line(e, ix.now) for e in unhealthy],
        _commands(pod, spec.name, False),
    )
