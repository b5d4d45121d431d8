"""Image pull failures: tell a missing tag from denied access, an unreachable registry, a bad name.

The kubelet's texts differ by runtime: containerd ('rpc error: code = NotFound desc = failed to pull and
unpack image "docker.io/library/nginx:x": ... not found') and the docker-era dockershim ('Error response
from daemon: manifest for nginx:x not found: manifest unknown'). Both are matched.
"""

from __future__ import annotations

import functools
import re

from ktui.diagnosis.index import Index
from ktui.diagnosis.rules.base import Hit
from ktui.resources import Container, Pod

PULL_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "ImageInspectError",
        "ErrImageNeverPull",
        "InvalidImageName",
        "RegistryUnavailable",
        "RegistryError",
        "SignatureValidationFailed",
    }
)
"""Waiting reasons that mean the image could not be pulled or used."""

_INVALID = re.compile(
    r"invalid reference format|couldn't parse image (?:reference|name)|InvalidImageName|"
    r"must be lowercase",
    re.I,
)
_NEVER = re.compile(r"is not present with pull policy of Never|ErrImageNeverPull", re.I)
_DENIED = re.compile(
    r"pull access denied|requested access to the resource is denied|insufficient_scope|"
    r"\b401 Unauthorized|\b403 Forbidden|unauthorized:|authentication required|no basic auth credentials|"
    r"failed to authorize|denied:",
    re.I,
)
_NOT_FOUND = re.compile(
    r"manifest unknown|code = NotFound|: not found\b|manifest for \S+ not found|"
    r"\bnot found: manifest",
    re.I,
)
_UNREACHABLE = [
    (
        re.compile(r"no such host|server misbehaving|Temporary failure in name resolution", re.I),
        "DNS lookup failed",
    ),
    (re.compile(r"connection refused", re.I), "connection refused"),
    (
        re.compile(
            r"x509:|tls: failed to verify|certificate signed by unknown authority|certificate is not "
            r"valid|server gave HTTP response to HTTPS client",
            re.I,
        ),
        "TLS certificate problem",
    ),
    (
        re.compile(
            r"i/o timeout|context deadline exceeded|TLS handshake timeout|Client\.Timeout|"
            r"timed out|network is unreachable|no route to host",
            re.I,
        ),
        "timed out",
    ),
    (re.compile(r"toomanyrequests|429 Too Many Requests|pull rate limit", re.I), "rate limited"),
    (re.compile(r"\b50[0234]\b|Service Unavailable|Bad Gateway", re.I), "registry error"),
]


@functools.lru_cache(maxsize=1024)
def _pull_error(text: str) -> tuple[str, str]:
    """The first known failure the pull messages show, as (category, why); ("", "") for none.

    Cached: the same messages come back with every status update of a failing pod (and across the
    pods of one workload), and ten case-insensitive searches cost tens of microseconds.
    """
    if _INVALID.search(text):
        return "image_invalid_name", ""
    if _NEVER.search(text):
        return "image_never_pull", ""
    for pattern, why in _UNREACHABLE:
        if pattern.search(text):
            return "image_registry_unreachable", why
    if _DENIED.search(text):
        return "image_pull_access_denied", ""
    if _NOT_FOUND.search(text):
        return "image_tag_not_found", ""
    return "", ""


def split_image(image: str) -> tuple[str, str, str]:
    """'nginx:not-exist' -> ('docker.io', 'docker.io/library/nginx', 'not-exist') (the docker defaults)."""
    ref = image.split("@", 1)[0]
    digest = image.split("@", 1)[1] if "@" in image else ""
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", ref
    if registry == "docker.io" and "/" not in path:
        path = "library/" + path
    name, _, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "")
    return registry, f"{registry}/{name}", digest or tag or "latest"


def _pull_secrets(ix: Index, pod: Pod) -> tuple[list[str], list[str]]:
    """(configured pull Secret names, those that do not exist) from the pod and its ServiceAccount."""
    ns = pod.metadata.namespace
    names = [s.name for s in pod.spec.image_pull_secrets]
    sa = ix.service_accounts.get((ns, pod.spec.service_account_name or "default"))
    if sa is not None:
        names.extend(s.name for s in sa.image_pull_secrets)
    names = list(dict.fromkeys(n for n in names if n))
    missing = [n for n in names if (ns, n) not in ix.secrets] if ix.known("Secret") else []
    return names, missing


def _short(message: str, limit: int = 160) -> str:
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def image_hit(ix: Index, pod: Pod, spec: Container, reason: str, messages: list[str]) -> Hit:
    """Classify one container's pull failure from its waiting reason and the pull messages seen."""
    image = spec.image
    registry, repo, tag = split_image(image)
    text = "\n".join(messages)
    params = {
        "image": image,
        "registry": registry,
        "repo": repo,
        "tag": tag,
        "container": spec.name,
        "node": pod.spec.node_name or "?",
    }
    found, why = _pull_error(text)
    if reason == "InvalidImageName" or found == "image_invalid_name":
        return Hit("image_invalid_name", params)
    if reason == "ErrImageNeverPull" or found == "image_never_pull":
        return Hit("image_never_pull", params)
    if found == "image_registry_unreachable":
        return Hit(found, {**params, "why": why})
    if found == "image_pull_access_denied":
        names, missing = _pull_secrets(ix, pod)
        if missing:
            why = f"imagePullSecret {', '.join(missing)} does not exist in namespace {pod.metadata.namespace}"
        elif names:
            why = f"the credentials in imagePullSecret {', '.join(names)} were refused"
        else:
            why = "no imagePullSecret is configured, or the repository does not exist"
        if ix.forbidden("Secret") and names:
            why = f"imagePullSecret {', '.join(names)} (cannot verify it exists: list secrets forbidden)"
        return Hit(found, {**params, "why": why})
    if found == "image_tag_not_found":
        return Hit(found, params)
    why = _short(messages[0]) if text.strip() else f"{reason} (no pull error message recorded)"
    return Hit("image_pull_failed", {**params, "why": why})
