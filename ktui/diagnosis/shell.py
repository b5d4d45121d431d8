"""The command lines findings offer to copy: shell-quoted cluster data, and `kubectl describe` of a subject.

Every judged object's finding offers `kubectl describe` of that object. Kept as a string in each of
~15k findings that is ~2 MB at 10k pods, made again at each judgment (~1.5 us): rules put
``DESCRIBE_SUBJECT`` in its place instead, and ``Finding.commands`` writes it out when read.
"""

from __future__ import annotations

import shlex
from typing import Final

DESCRIBE_SUBJECT: Final = "\x00kubectl describe <the finding's subject>"
"""Placeholder for `kubectl describe` of the judged object itself, in a rule's command list (never shown:
``to_finding`` turns it into ``Finding.describes`` or into the command itself)."""


def q(text: str) -> str:
    """Shell-quote cluster data placed into a command line."""
    if text.isascii() and text.replace("-", "").replace(".", "").isalnum():
        return text  # a Kubernetes name (what shlex.quote leaves alone too), without its regex
    return shlex.quote(text)


def ns_flag(namespace: str) -> str:
    """' -n NS' for namespaced objects, '' for cluster-scoped ones."""
    return f" -n {q(namespace)}" if namespace else ""


def describe(kind: str, namespace: str, name: str) -> str:
    """`kubectl describe <kind> <name> -n <ns>`."""
    return f"kubectl describe {kind.lower()} {q(name)}{ns_flag(namespace)}"
