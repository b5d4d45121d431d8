"""A seed sandbox shared by the kube tests of one module, with faults cleared after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ktui.sandbox.runner import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenario="seed", speed=20.0) as sb:
        yield sb


@pytest.fixture()
def sb(sandbox: Sandbox) -> Iterator[Sandbox]:
    yield sandbox
    sandbox.faults.clear()
