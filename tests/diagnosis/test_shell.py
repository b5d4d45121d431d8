"""Command lines in findings: `kubectl describe` of the subject is a flag, written out when read."""

from __future__ import annotations

from ktui import resources as r
from ktui.diagnosis import Diagnosis
from ktui.diagnosis.rules.base import Hit, to_finding
from ktui.diagnosis.shell import DESCRIBE_SUBJECT

from .helpers import root

POD = r.Ref(kind="Pod", namespace="shop", name="web-1", uid="u-1")
NODE = r.Ref(kind="Node", namespace="", name="node-1", uid="u-2")


def test_the_subjects_describe_first_is_a_flag_and_reads_as_the_command() -> None:
    f = to_finding(POD, Hit("healthy", {"state": "Running"}, [], [DESCRIBE_SUBJECT, "kubectl top pod web-1"]))
    assert f.describes and f.extra_commands == ("kubectl top pod web-1",)
    assert f.commands == ("kubectl describe pod web-1 -n shop", "kubectl top pod web-1")
    assert f.to_dict()["commands"] == list(f.commands)
    node = to_finding(NODE, Hit("healthy", {"state": "Ready"}, [], [DESCRIBE_SUBJECT]))
    assert node.extra_commands == () and node.commands == ("kubectl describe node node-1",)


def test_the_subjects_describe_after_another_command_is_written_out_in_place() -> None:
    logs = "kubectl logs web-1 -n shop"
    f = to_finding(POD, Hit("healthy", {"state": "Running"}, [], [logs, DESCRIBE_SUBJECT]))
    assert not f.describes
    assert f.commands == (logs, "kubectl describe pod web-1 -n shop")


def test_no_finding_of_the_seed_shows_the_placeholder(seed: Diagnosis) -> None:
    assert seed.findings
    for f in seed.findings:
        assert all(not c.startswith("\x00") for c in f.commands), f
    healthy = root(seed, "Pod", "running")
    assert healthy.describes and healthy.extra_commands == ()  # no string kept for the common case
    assert healthy.commands[0] == "kubectl describe pod running -n default"
