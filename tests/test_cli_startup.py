"""`ktui` start-up: a bad kubeconfig is one line and exit 2 before any screen; the collector comes back on."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from ktui.sandbox.kubeconfig import write_kubeconfig


def _ktui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A real process: the TUI would take over a terminal; here stdin/stdout are pipes and the
    # error must come before the app is built.
    entry = "import sys; from ktui.cli import main; sys.exit(main(sys.argv[1:]))"  # the script's entry
    return subprocess.run([sys.executable, "-c", entry, *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})


def test_missing_kubeconfig_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _ktui("--kubeconfig", str(tmp_path / "nope"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [f"ktui: error: kubeconfig {tmp_path / 'nope'} not found"]


def test_unknown_context_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "http://127.0.0.1:9")
    done = _ktui("--kubeconfig", str(path), "--context", "elsewhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('ktui: error: context "elsewhere" not found')


def test_build_app_leaves_the_collector_on_with_the_imports_frozen(tmp_path: Path) -> None:
    from ktui.cli import build_parser
    from ktui.commands.tui import build_app

    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "http://127.0.0.1:9")
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    try:
        app = build_app(build_parser().parse_args(["--kubeconfig", str(path)]))
        assert app.source.namespace == "default"
        # The first list started (prefetch) and holds the collector off while it runs: once the
        # source stops (its threads joined), nothing does.
        app.source.stop()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()  # give the test process's objects back to the collector


@pytest.mark.parametrize("argv", [["-l", "a b=c"]])
def test_bad_selector_is_a_usage_error_before_connecting(tmp_path: Path, argv: list[str]) -> None:
    from ktui.cli import main

    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "http://127.0.0.1:9")
    assert main(["--kubeconfig", str(path), *argv]) == 2
    assert gc.isenabled()


def test_the_ui_loads_without_the_network_stack(tmp_path: Path) -> None:
    # The helper reads the first lists while the UI loads (ktui.kube.prelist): what only the network
    # needs must not load with the UI, or it comes before the first screen.
    check = ("import sys, ktui.cli, ktui.commands.tui, ktui.ui.app; "
             "print(sorted(m for m in ('kubernetes', 'urllib3', 'yaml', 'ktui.kube.portforward') "
             "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
