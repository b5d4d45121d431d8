"""The engine is pure: importing it pulls in neither textual, kubernetes nor rich."""

from __future__ import annotations

import subprocess
import sys


def test_import_diagnosis_leaves_ui_and_client_libraries_out() -> None:
    code = (
        "import sys, ktui.diagnosis, ktui.dumps; "
        "print(sorted(m for m in ('textual', 'kubernetes', 'rich') if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert res.stdout.strip() == "[]"
