"""PodOrder, the pod list's incremental data: order, filter, counts and widths kept per changed uid."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from ktui.model.tables import SORT_KEYS, PodRow, RowFilter, sort_rows
from ktui.ui.widgets.pod_columns import Widths
from ktui.ui.widgets.pod_order import PodOrder


def row(i: int, *, severity: str = "info", ns: str = "", name: str = "", **changes: object) -> PodRow:
    """A pod row numbered i."""
    ns = ns or f"ns-{i % 7}"
    name = name or f"web-{i:05d}"
    base = PodRow(
        uid=f"uid-{i}",
        namespace=ns,
        name=name,
        ready="1/1",
        status="Running" if severity == "info" else "CrashLoopBackOff",
        restarts=str(i % 5),
        age="5m",
        node=f"node-{i % 3}",
        severity=severity,
        restart_count=i % 5,
        created=1000.0 + (i * 7919) % 1000,
        labels=(("app", f"a{i % 4}"),),
        search_text=f"{ns}/{name} running node-{i % 3}",
    )
    return replace(base, **changes) if changes else base  # type: ignore[arg-type]


def rows(n: int, seed: int = 1) -> list[PodRow]:
    """n rows, about 5% unhealthy."""
    rnd = random.Random(seed)
    severities, weights = ["info", "error", "warning", "unknown"], [95, 2, 2, 1]
    return [row(i, severity=rnd.choices(severities, weights)[0]) for i in range(n)]


def fresh(data: list[PodRow], query: str = "", problems: bool = False, key: str = "severity",
          reverse: bool = False) -> PodOrder:
    """A PodOrder built from scratch (the reference an incremental one must equal)."""
    order = PodOrder()
    order.set_sort(key, reverse)
    order.set_filter(query, problems)
    order.replace(tuple(data))
    return order


def uids(seq: object) -> list[str]:
    return [r.uid for r in seq]  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("reverse", [False, True])
def test_order_is_sort_rows_order_for_every_column(key: str, reverse: bool) -> None:
    data = rows(500)
    order = PodOrder()
    order.replace(tuple(data))
    order.set_sort(key, reverse)
    assert uids(order.view) == uids(sort_rows(data, key, reverse))


def test_one_changed_row_in_20k_moves_alone() -> None:
    data = rows(20_000)
    order = PodOrder()
    order.replace(tuple(data))
    before = list(order.view)
    victim = next(r for r in before[5000:] if r.severity == "info")
    old_at = before.index(victim)
    data[int(victim.uid.split("-")[1])] = changed = replace(victim, severity="error", status="Error")

    dirty = order.replace(tuple(data), frozenset({victim.uid}))

    new_at = order.view.index(changed)
    assert new_at < old_at  # errors sort first
    assert (dirty.lo, dirty.hi, dirty.to_end, dirty.everything) == (new_at, old_at, False, False)
    # Every other row is the same object in the same relative order.
    rest = [r for r in order.view if r is not changed]
    assert all(a is b for a, b in zip(rest, [r for r in before if r is not victim], strict=True))
    assert order.counts["error"] == Counter(r.severity for r in before)["error"] + 1
    assert uids(order.view) == uids(fresh(data).view)


def test_an_unchanged_snapshot_moves_nothing_and_equal_new_objects_are_not_changes() -> None:
    data = rows(2000)
    order = PodOrder()
    order.replace(tuple(data))
    dirty = order.replace(tuple(data))
    assert dirty.lo is None and not dirty.everything
    dirty = order.replace(tuple(replace(r) for r in data))  # new objects, same values
    assert dirty.lo is None and not dirty.everything


def test_random_edits_equal_a_full_rebuild() -> None:
    rnd = random.Random(7)
    data = {r.uid: r for r in rows(3000)}
    next_id = 3000
    cases = [
        ("", False, "severity", False),
        ("web-01", False, "name", True),
        ("", True, "age", False),
        ("app=a1", False, "restarts", True),
        ("node-2", True, "status", False),
        ("-l app in (a2,a3)", False, "node", False),
    ]
    for step, (query, problems, key, reverse) in enumerate(cases):
        order = fresh(list(data.values()), query, problems, key, reverse)
        for round_ in range(30):
            touched: set[str] = set()
            for _ in range(rnd.randint(1, 40)):
                op = rnd.random() if round_ % 2 else 0.5  # every other round: changes only
                if op < 0.2 and data:
                    uid = rnd.choice(list(data))
                    del data[uid]
                elif op < 0.4:
                    name = f"web-{rnd.randint(0, 99999):05d}x" + "y" * rnd.randint(0, 30)
                    new = row(next_id, severity=rnd.choice(["info", "error"]), name=name)
                    next_id += 1
                    uid = new.uid
                    data[uid] = new
                else:
                    uid = rnd.choice(list(data))
                    data[uid] = replace(data[uid], severity=rnd.choice(["info", "error", "warning"]),
                                        restart_count=rnd.randint(0, 9), node=f"node-{rnd.randint(0, 40)}")
                touched.add(uid)
            snapshot = list(data.values())
            if round_ % 3 == 0:
                rnd.shuffle(snapshot)  # else the store's order: the positional diff applies
            given = frozenset(touched) if (step + round_) % 2 else None
            order.replace(tuple(snapshot), given)
            reference = fresh(snapshot, query, problems, key, reverse)
            assert uids(order.view) == uids(reference.view), (step, round_)
            assert uids(order.all) == uids(reference.all)
            assert +order.counts == +reference.counts
            assert order.widths == reference.widths
            for r in order.view[:: max(len(order.view) // 20, 1)]:
                assert order.view[order.index_of(r.uid) or 0] is r


def test_filter_narrows_the_view_it_extends_and_matches_a_full_scan() -> None:
    data = rows(5000)
    order = PodOrder()
    order.replace(tuple(data))
    typed = ""
    for ch in "web-01":
        typed += ch
        order.set_filter(typed, False)
        assert uids(order.view) == uids(sort_rows(RowFilter.parse(typed).apply(data), "severity"))
    for _ in range(3):  # backspaces widen again
        typed = typed[:-1]
        order.set_filter(typed, False)
        assert uids(order.view) == uids(sort_rows(RowFilter.parse(typed).apply(data), "severity"))
    order.set_filter("", False)
    assert order.view is order.all


def test_a_bad_selector_shows_every_row_and_says_why() -> None:
    order = PodOrder()
    order.replace(tuple(rows(50)))
    order.set_filter("-l app web", False)
    assert order.error and len(order.view) == 50


def test_widths_grow_at_once_and_shrink_when_the_widest_row_goes() -> None:
    data = rows(100)
    order = PodOrder()
    order.replace(tuple(data))
    assert order.widths.name == len("web-00000")
    wide = row(500, name="a-very-long-pod-name-that-is-the-widest")
    dirty = order.replace((*data, wide))
    assert order.widths.name == len(wide.name) and dirty.everything  # columns moved: repaint all
    order.replace(tuple(data))
    assert order.widths == Widths(namespace=9, name=len("web-00000"), status=len("CrashLoopBackOff"),
                                  restarts=8, node=6)


def test_severity_counts_follow_changes_and_deletions() -> None:
    data = rows(1000)
    order = PodOrder()
    order.replace(tuple(data))
    expected = Counter(r.severity for r in data)
    assert order.counts == expected
    healthy = next(r for r in data if r.severity == "info")
    data.remove(healthy)
    order.replace(tuple(data), frozenset({healthy.uid}))
    expected["info"] -= 1
    assert order.counts == expected


def test_a_change_set_that_misses_a_row_is_repaired_by_a_diff() -> None:
    data = rows(200)
    order = PodOrder()
    order.replace(tuple(data))
    extra = row(999)
    order.replace((*data, extra), frozenset())  # the new pod is not in the change set
    assert extra in order.view and uids(order.view) == uids(fresh([*data, extra]).view)


def test_a_relist_that_shifts_rows_gives_what_a_fresh_order_gives() -> None:
    data = rows(2000)
    order = fresh(data)
    # Pods deleted from the front and the middle, new ones appended, a few changed in place: every
    # later position shifts, so the positional fast path cannot be used.
    kept = [r for i, r in enumerate(data) if i % 97 != 3]
    kept = [replace(r, status="Error", severity="error") if i % 401 == 7 else r for i, r in enumerate(kept)]
    added = [row(5000 + i, severity="warning") for i in range(25)]
    new = kept + added
    order.replace(new)
    expected = fresh(new)
    assert uids(order.view) == uids(expected.view)
    assert order.counts == expected.counts and order.widths == expected.widths
    assert set(order.by_uid) == {r.uid for r in new}
