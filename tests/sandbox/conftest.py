"""Sandbox test helpers: the seed's manifests exactly as its README quotes them."""

from __future__ import annotations

from pathlib import Path

import pytest

POD_STATUS_YAML = """\
apiVersion: v1
kind: Pod
metadata:
  name: running
  labels:
    app: nginx
spec:
  containers:
    - name: web
      image: nginx
      ports:
        - name: web
          containerPort: 80
          protocol: TCP

---
apiVersion: v1
kind: Pod
metadata:
  name: backoff
spec:
  containers:
    - name: web
      image: nginx:not-exist

---
apiVersion: v1
kind: Pod
metadata:
  name: error
spec:
  containers:
    - name: web
      image: nginx
      command: ["sleep", "a"]
"""

PENDING_POD_YAML = """\
apiVersion: v1
kind: Pod
metadata:
  name: pending
spec:
  containers:
    - name: web
      image: nginx
      resources:
        requests:
          cpu: 32
          memory: 64Gi
"""


@pytest.fixture()
def seed_files(tmp_path: Path) -> tuple[Path, Path]:
    """``pod-status.yaml`` and ``pending-pod.yaml`` written to a temp dir."""
    a, b = tmp_path / "pod-status.yaml", tmp_path / "pending-pod.yaml"
    a.write_text(POD_STATUS_YAML)
    b.write_text(PENDING_POD_YAML)
    return a, b
