"""Run by test_prelist in its own process (a fork needs a process without other threads).

``start KUBECONFIG EXPECT``: ``ktui``'s own start (``open_source`` with -A), then JSON lines on
stdout: ``synced`` once a snapshot holds EXPECT pods (with whether the kubernetes package was
loaded by then), then, after a line on stdin, ``watched`` once a pod named ``late`` shows up.
``cleanup KUBECONFIG DIR``: start a helper, wait for its end, print the files left in $TMPDIR and
whether the parent's temporary directory in DIR is still there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
from typing import Any


def say(**kw: Any) -> None:
    """One JSON line."""
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def start(kubeconfig: str, expect: int) -> None:
    """Prelisted start, then a watch."""
    from ktui.commands.tui import open_source

    args = argparse.Namespace(kubeconfig=kubeconfig, context=None, selector=None, all_namespaces=True,
                              namespace=None)
    source = open_source(args)
    synced, late = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def on_snapshot(snap: Any) -> None:
        names = {p.metadata.name for p in snap.pods}
        if not synced.is_set() and "Pod" in snap.synced and len(names) >= expect:
            seen["pods"] = len(names)
            seen["kubernetes"] = "kubernetes" in sys.modules
            seen["prelisted"] = source.conn.prelisted is not None
            synced.set()
        if "late" in names:
            late.set()

    source.start(on_snapshot, lambda *_: None)
    if not synced.wait(60):
        say(ev="timeout")
        return
    say(ev="synced", **seen)
    sys.stdin.readline()
    say(ev="watched", ok=late.wait(30), kubernetes="kubernetes" in sys.modules)
    source.stop()


def cleanup(kubeconfig: str, parents: str) -> None:
    """A helper that loads inline credentials, fails to reach its server, and ends; the parent's
    own temporary directory (made before the fork, removed at the parent's exit) must outlive it."""
    from ktui.kube.client import KubeError
    from ktui.kube.prelist import Prelist

    mine = tempfile.TemporaryDirectory(dir=parents)
    pre = Prelist.start(kubeconfig, None, all_namespaces=True, namespace=None, label_selector=None)
    assert pre is not None
    try:
        pre.connection()
    except KubeError as exc:
        say(ev="error", message=exc.message)
    say(ev="ended", ended=pre.join(30), left=sorted(os.listdir(tempfile.gettempdir())),
        parents_kept=os.path.isdir(mine.name))


if __name__ == "__main__":
    if sys.argv[1] == "start":
        start(sys.argv[2], int(sys.argv[3]))
    else:
        cleanup(sys.argv[2], sys.argv[3])
