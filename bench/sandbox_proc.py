"""The benchmark's sandbox process: a Sandbox with generated pods, driven by JSON commands on stdin.

It runs in its own process so its CPU is not charged to the tool being measured. It uses only the
sandbox's public Python API (``Sandbox``, ``generate``, ``Store.mutate_many``, ``register_program``):

- ``generate``: N realistic pods (``ktui.sandbox.generate``); then ``gc.freeze()``, so the
  collector never walks the loaded pods again.
- ``storm``: MODIFIED events at a fixed rate, committed per 5 ms tick through ``mutate_many`` (merge
  patches: each version shares its spec with the last). Each one stamps the pod with ``SENT_KEY``
  (the CLOCK_MONOTONIC time in ns when the change was committed; every process on the host shares
  that clock) and bumps the container's restartCount, so the row and the diagnosis both change.
  The collector is off while a storm runs (its JSON is acyclic and freed by refcounting).
- ``stats``: pod count, JSON size per pod, unhealthy share, RSS (``bench/sandbox_rate.py``).
- ``expire``: forget the watch history and end every watch, so each reconnect gets 410 and relists;
  pods are deleted and added meanwhile, so a relist that loses or duplicates rows shows it.
- a log-flood program (containers with env ``BENCH_LOG_RATE``) writing numbered lines at a rate.

Protocol: one JSON object per line each way; every request gets exactly one reply.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import logging
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

SENT_KEY = "sandbox.ktui.dev/sent-at"
"""Annotation: CLOCK_MONOTONIC nanoseconds at which the storm driver committed this change."""

_TICK = 0.005  # seconds between storm ticks: small enough that a 20k ev/s storm is 100 per tick


def _bump(pod: dict[str, Any]) -> dict[str, Any]:
    """The storm's change as a merge patch: the send stamp, and one more restart of the first container.

    Stamped as the store applies it, right before the commit; the store shares the untouched rest.
    """
    patch: dict[str, Any] = {"metadata": {"annotations": {SENT_KEY: str(time.monotonic_ns())}}}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    if statuses:
        first = dict(statuses[0])
        first["restartCount"] = first.get("restartCount", 0) + 1
        patch["status"] = {"containerStatuses": [first, *statuses[1:]]}
    return patch


def digest(pairs: list[tuple[str, str]]) -> str:
    """A short hash of (uid, resourceVersion) pairs, order-independent: equal stores, equal digests."""
    h = hashlib.sha256()
    for uid, rv in sorted(pairs):
        h.update(f"{uid}:{rv}\n".encode())
    return h.hexdigest()[:16]


class Driver:
    """Commands run against one Sandbox (storms run as a task on the sandbox's loop)."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.keys: list[tuple[str, str]] = []
        self.storm_task: asyncio.Task[dict[str, Any]] | None = None
        self.rnd = random.Random(7)

    # ---- on the loop ----------------------------------------------------------------------------

    def _pod_keys(self) -> list[tuple[str, str]]:
        items, _ = self.sb.store.list("pods")
        keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items]
        self.rnd.shuffle(keys)
        return keys

    async def _storm(self, rate: float, seconds: float) -> dict[str, Any]:
        store = self.sb.store
        keys = self.keys or self._pod_keys()
        self.keys = keys
        start = time.monotonic()
        cpu0 = time.process_time()
        first_rv = store.resource_version + 1
        # The storm allocates only acyclic JSON, freed by refcounting; full collections over the
        # history it builds would be the sandbox's own pauses, not the tools' lag. Off while it runs.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return await self._storm_loop(store, keys, rate, seconds, start, cpu0, first_rv)
        finally:
            if gc_was_enabled:
                gc.enable()
            gc.freeze()  # what the storm left (history, cached bytes) stays out of later collections

    async def _storm_loop(self, store: Any, keys: list[tuple[str, str]], rate: float, seconds: float,
                          start: float, cpu0: float, first_rv: int) -> dict[str, Any]:
        sent = late_ticks = 0
        while True:
            now = time.monotonic()
            elapsed = now - start
            if elapsed >= seconds:
                break
            due = int(rate * elapsed) - sent
            if due > rate * _TICK * 4:
                late_ticks += 1  # the sandbox cannot keep up: report the achieved rate, not the asked
            n = min(due, int(rate * _TICK * 4) + 1)
            if n > 0:
                edits = [(*keys[(sent + k) % len(keys)], _bump) for k in range(n)]
                store.mutate_many("pods", edits)
                sent += n
            # sleep until the next tick is due; when behind, only yield so the watch writers run
            await asyncio.sleep(max(0.0, start + (int(elapsed / _TICK) + 1) * _TICK - time.monotonic()))
        took = time.monotonic() - start
        return {
            "sent": sent, "seconds": took, "achieved": sent / took if took else 0.0,
            "first_rv": first_rv, "last_rv": store.resource_version, "late_ticks": late_ticks,
            "sandbox_cpu": time.process_time() - cpu0,
        }

    def _expire(self, churn: int) -> dict[str, Any]:
        store = self.sb.store
        store.compact()
        dropped = self.sb.server.drop_watches(False)
        items, _ = store.list("pods")
        victims = self.rnd.sample(items, min(churn, len(items)))
        for obj in victims:
            store.remove("pods", obj["metadata"]["namespace"], obj["metadata"]["name"])
        for i, obj in enumerate(victims):
            meta = obj["metadata"]
            fresh = {
                "metadata": {
                    "name": f"{meta['name'][:40]}-r{i}", "namespace": meta["namespace"],
                    "labels": meta.get("labels") or {}, "annotations": meta.get("annotations") or {},
                },
                "spec": obj["spec"], "status": obj.get("status") or {},
            }
            store.create("pods", fresh)
        self.keys = []
        return {"dropped": dropped, "churn": len(victims), "rv": store.resource_version}

    def _digest(self) -> dict[str, Any]:
        items, rv = self.sb.store.list("pods")
        pairs = [(o["metadata"]["uid"], o["metadata"]["resourceVersion"]) for o in items]
        return {"n": len(pairs), "digest": digest(pairs), "rv": rv}

    def _stats(self) -> dict[str, Any]:
        items, rv = self.sb.store.list("pods")
        sizes = [len(self.sb.store.encoded(o)) for o in items] or [0]
        unhealthy = sum(1 for o in items if not _healthy(o))
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return {"count": len(items), "rv": rv, "size_mean": sum(sizes) / len(sizes), "size_min": min(sizes),
                "size_max": max(sizes), "unhealthy": unhealthy / max(len(items), 1), "rss": rss,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "cpu": time.process_time()}

    async def _backend_port(self, namespace: str, pod: str, port: int) -> int:
        # The program's real loopback listener: the floor a port-forward is compared with.
        _reader, writer = await self.sb.simulation.node_agent.dial(namespace, pod, port)
        peer: int = writer.get_extra_info("peername")[1]
        writer.close()
        return peer

    # ---- commands -------------------------------------------------------------------------------

    def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op")
        sb = self.sb
        if op == "generate":
            from ktui.sandbox.generate import generate

            t0 = time.monotonic()
            n = sb.call(lambda: generate(sb.store, int(req["pods"]), int(req.get("namespaces", 10)),
                                         seed=int(req.get("seed", 0)), prefix=req.get("prefix", "bench"),
                                         workloads=bool(req.get("workloads", True))),
                        timeout=900)
            took = time.monotonic() - t0
            # The loaded pods live as long as the process: keep the collector from walking them on
            # every full collection (a load generator's GC pause would show up as watch lag)
            gc.collect()
            gc.freeze()
            kinds = ("deployments.apps", "replicasets.apps", "services", "endpointslices.discovery.k8s.io")
            objects = sb.call(lambda: {k.split(".")[0]: len(sb.store.list(k)[0]) for k in kinds})
            return {"count": n, "seconds": took, "objects": objects}
        if op == "storm":
            loop = sb._loop

            async def start() -> None:
                storm = self._storm(float(req["rate"]), float(req["seconds"]))
                self.storm_task = asyncio.ensure_future(storm)

            sb.call(start)
            assert loop is not None
            return {"started": time.monotonic()}
        if op == "storm_wait":
            task = self.storm_task
            if task is None:
                return {"error": "no storm"}

            async def wait() -> dict[str, Any]:
                return await task

            return sb.call(wait, timeout=float(req.get("timeout", 600)))
        if op == "expire":
            return sb.call(self._expire, int(req.get("churn", 20)))
        if op == "digest":
            return sb.call(self._digest)
        if op == "apply":
            objs = sb.apply_yaml(req["yaml"])
            return {"applied": len(objs)}
        if op == "wait_running":
            ns, name = req["namespace"], req["name"]

            def running(store: Any) -> bool:
                pod = store.get("pods", ns, name)
                statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
                return bool(statuses) and all(s.get("ready") for s in statuses)

            sb.wait_for(running, timeout=float(req.get("timeout", 30)))
            return {"running": True}
        if op == "backend_port":
            return {"port": sb.call(self._backend_port, req["namespace"], req["name"], int(req["port"]))}
        if op == "delete":
            sb.call(sb.store.delete, "pods", req["namespace"], req["name"])
            return {"deleted": True}
        if op == "cpu":
            return {"cpu": time.process_time()}
        if op == "stats":
            return sb.call(self._stats)
        return {"error": f"unknown op {op!r}"}


def _healthy(pod: dict[str, Any]) -> bool:
    """Running with every container ready."""
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    return status.get("phase") == "Running" and bool(statuses) and all(s.get("ready") for s in statuses)


def _install_log_flood() -> None:
    """Containers with env BENCH_LOG_RATE write numbered 120-byte lines at that many lines/s."""
    from ktui.sandbox.kubelet.programs import register_program

    async def flood(c: Any) -> int:
        rate = float(c.env.get("BENCH_LOG_RATE", "100000"))
        pad = "x" * 108
        c.term_exit = 0
        start = time.monotonic()
        written = 0
        while True:
            due = int(rate * (time.monotonic() - start)) - written
            if due > 0:
                due = min(due, 5000)  # keep each write short so the loop stays responsive
                c.out("\n".join(f"{written + k:010d} {pad}" for k in range(due)))
                written += due
            await asyncio.sleep(0.002)

    register_program(lambda c: "BENCH_LOG_RATE" in c.env, flood)


def main() -> int:
    """Start the sandbox, print a ready line, serve commands until stdin closes or ``stop``."""
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox_proc")
    parser.add_argument("--kubeconfig-out", type=Path, required=True)
    parser.add_argument("--simulate", action="store_true", help="run kubelets and controllers (logs, probes)")
    parser.add_argument("--history", type=int, default=200_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    from ktui.sandbox.runner import Sandbox

    if args.simulate:
        _install_log_flood()
    sb = Sandbox(scenario="empty", simulate=args.simulate, kubeconfig_path=args.kubeconfig_out,
                 history=args.history)
    sb.start()
    driver = Driver(sb)
    out = sys.stdout
    out.write(json.dumps({"ready": sb.url, "kubeconfig": str(sb.kubeconfig)}) + "\n")
    out.flush()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            if req.get("op") == "stop":
                break
            try:
                reply = driver.handle(req)
            except Exception as exc:  # one failed command must not take the sandbox down
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
