"""Fixtures of the diagnosis tests."""

from __future__ import annotations

import pytest

from ktui.diagnosis import Diagnosis, diagnose
from ktui.dumps import load_dumps

from .helpers import SEED


@pytest.fixture(scope="module")
def seed() -> Diagnosis:
    """The seed guide's objects, diagnosed."""
    return diagnose(load_dumps(SEED))
