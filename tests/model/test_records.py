"""Records and RecordLog: frozen views of a changing dict, handed out in proportion to the change."""

from __future__ import annotations

import random

import pytest

from ktui.resources.records import MAX_DELTAS, RecordLog, Records


def _run(seed: int, steps: int, size: int) -> list[tuple[Records[str], dict[str, str]]]:
    """Random adds, updates and deletes on a dict, a view after each batch, kept with a copy of the dict."""
    rnd = random.Random(seed)
    live: dict[str, str] = {f"k{i}": f"k{i}@0" for i in range(size)}
    log = RecordLog()
    kept = [(log.view(live, None), dict(live))]
    for step in range(1, steps):
        changed: dict[str, str | None] = {}
        for _ in range(rnd.choice([0, 1, 3, 20, size // 2])):
            key = f"k{rnd.randrange(size * 2)}"
            if key in live and rnd.random() < 0.3:
                del live[key]
                changed[key] = None
            else:
                live[key] = changed[key] = f"{key}@{step}"
        kept.append((log.view(live, changed), dict(live)))
    return kept


@pytest.mark.parametrize("seed", range(6))
def test_every_view_stays_what_the_dict_was_when_it_was_taken(seed: int) -> None:
    kept = _run(seed, 120, 50)
    for view, then in kept:  # read after all later changes and folds
        assert len(view) == len(then) and bool(view) == bool(then)
        assert sorted(view) == sorted(then.values())
        for key, value in then.items():
            assert view.get(key) is value
        assert view.get("missing") is None and view.get("missing", "x") == "x"
        assert view.get("k999") is None


def test_view_reads_one_record_without_building_the_tuple() -> None:
    kept = _run(7, 40, 200)
    view, then = kept[-1]
    key = next(iter(then))
    assert view.get(key) == then[key]
    assert not view.built
    assert list(view) == list(view.as_tuple()) and view.built


def test_an_unchanged_dict_gives_the_same_view_and_chains_stay_short() -> None:
    live = {f"k{i}": str(i) for i in range(10_000)}
    log = RecordLog()
    first = log.view(live, None)
    assert log.view(live, {}) is first
    views = []
    for i in range(3 * MAX_DELTAS):
        live["k1"] = f"v{i}"
        views.append(log.view(live, {"k1": live["k1"]}))
    assert max(len(v._deltas) for v in views) <= MAX_DELTAS
    assert [v.get("k1") for v in views] == [f"v{i}" for i in range(3 * MAX_DELTAS)]
    assert first.get("k1") == "1"


def test_records_compare_and_concatenate_like_tuples() -> None:
    view = RecordLog().view({"a": "1", "b": "2"}, None)
    assert view == ("1", "2") and view == Records({"x": "1", "y": "2"}) and view != ("2", "1")
    # the operator under test: a snapshot's kinds were tuples, and code may still concatenate them
    assert view + ("3",) == ("1", "2", "3")  # noqa: RUF005
    assert ("0",) + view == ("0", "1", "2")  # noqa: RUF005
    assert view[0] == "1" and view[-1] == "2" and view[:1] == ("1",)
    assert "2" in view and len(Records()) == 0 and not Records()
    assert hash(view) == hash(("1", "2"))
