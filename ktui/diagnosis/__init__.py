"""The pure diagnosis engine: a ClusterSnapshot in, findings out (no textual, kubernetes or rich)."""

from ktui.diagnosis.engine import diagnose
from ktui.diagnosis.findings import Diagnosis, Finding, Severity

__all__ = ["Diagnosis", "Finding", "Severity", "diagnose"]
