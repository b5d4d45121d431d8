"""Kubeconfig files pointing at a sandbox."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "ktui-sandbox"


def kubeconfig_text(
    url: str, *, namespace: str = "default", token: str | None = None, context: str = CONTEXT
) -> str:
    """A kubeconfig with one cluster, user and context (``ktui-sandbox``, namespace ``default``)."""
    user: dict[str, str] = {"token": token} if token else {}
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": context, "cluster": {"server": url}}],
        "users": [{"name": context, "user": user}],
        "contexts": [
            {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
        ],
        "current-context": context,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write_kubeconfig(path: Path, url: str, *, namespace: str = "default", token: str | None = None) -> Path:
    """Write the kubeconfig to ``path`` (mode 0600, parents created) and return the path."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(kubeconfig_text(url, namespace=namespace, token=token))
    return path
