"""Image references and the simulated registries: what a pull finds, and how it fails in containerd's words.

Reference parsing follows github.com/distribution/reference (``ParseNormalizedNamed``): ``nginx`` is
``docker.io/library/nginx:latest``. Pull failures quote containerd 1.7 as the kubelet passes them on
(``rpc error: code = NotFound desc = failed to pull and unpack image ...``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote

import yaml

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_HEX64 = re.compile(r"^[a-f0-9]{64}$")


class InvalidReference(ValueError):
    """An image name distribution/reference rejects."""


@dataclass(frozen=True)
class Reference:
    """A normalized image reference."""

    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """``docker.io/library/nginx``."""
        return f"{self.domain}/{self.path}"

    def __str__(self) -> str:
        text = self.repository
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text


def parse_reference(image: str) -> Reference:
    """``ParseNormalizedNamed`` plus the default ``latest`` tag; raises InvalidReference."""
    if _HEX64.match(image):
        raise InvalidReference(
            f"invalid repository name ({image}), cannot specify 64-byte hexadecimal strings"
        )
    slash = image.find("/")
    first = image[:slash] if slash >= 0 else ""
    if slash < 0 or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = "docker.io", image
    else:
        domain, remainder = first, image[slash + 1 :]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    remote = remainder.split("@", 1)[0]
    if ":" in remote:
        remote = remote.rsplit(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(f"invalid reference format: repository name ({remote}) must be lowercase")
    full = f"{domain}/{remainder}"
    match = _REFERENCE.match(full)
    if match is None:
        if _REFERENCE.match(full.lower()):
            raise InvalidReference("repository name must be lowercase")
        raise InvalidReference("invalid reference format")
    name, tag, digest = match.groups()
    if len(name) > 255:
        raise InvalidReference("repository name must not be more than 255 characters")
    if not tag and not digest:
        tag = "latest"
    return Reference(domain, name[len(domain) + 1 :], tag, digest)


def digest_of(text: str) -> str:
    """A stable ``sha256:`` digest for catalog content."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Image:
    """A pullable image: the catalog's repository entry and tag."""

    ref: Reference
    repo: dict[str, Any]
    version: str
    size: int
    shell: str

    @property
    def digest(self) -> str:
        """The manifest digest (stable per repository and version)."""
        return digest_of(f"{self.ref.repository}@{self.version}")

    @property
    def image_id(self) -> str:
        """``imageID`` as containerd reports it: ``docker.io/library/nginx@sha256:...``."""
        return f"{self.ref.repository}@{self.digest}"

    @property
    def status_image(self) -> str:
        """``image`` in the container status: the normalized reference."""
        return str(self.ref)


@dataclass
class PullError(Exception):
    """A failed pull: the gRPC code and containerd's description."""

    code: str
    desc: str
    duration: float = 0.5

    def __str__(self) -> str:
        return f"rpc error: code = {self.code} desc = {self.desc}"


@dataclass
class Catalog:
    """The registries and repositories the sandbox pretends exist."""

    registries: dict[str, dict[str, Any]]
    repositories: dict[str, dict[str, Any]]
    shells: dict[str, list[str]] = field(default_factory=dict)
    resolver: str = "172.18.0.1:53"

    @classmethod
    def load(cls, text: str | None = None) -> Catalog:
        """The packaged ``images.yaml`` (or the given YAML text)."""
        if text is None:
            text = resources.files(__package__).joinpath("images.yaml").read_text()
        data = yaml.safe_load(text) or {}
        return cls(
            registries=dict(data.get("registries") or {}),
            repositories=dict(data.get("repositories") or {}),
            shells={k: list(v) for k, v in (data.get("shells") or {}).items()},
            resolver=str(data.get("resolver", "172.18.0.1:53")),
        )

    def lookup(self, ref: Reference) -> Image | None:
        """The image if the catalog has that repository and tag (or digest)."""
        repo = self.repositories.get(ref.repository)
        if repo is None:
            return None
        tags: dict[str, dict[str, Any]] = repo.get("tags") or {}
        tag: dict[str, Any] | None
        if ref.tag is not None:
            tag = tags.get(ref.tag)
            if tag is None:
                return None
        else:
            tag = next(iter(tags.values()), {})
        image = Image(
            ref,
            repo,
            str(tag.get("version", ref.tag)),
            int(tag.get("size", 10_000_000)),
            str(tag.get("shell", repo.get("shell", "none"))),
        )
        if ref.digest is not None:
            for t in tags.values():
                candidate = Image(ref, repo, str(t.get("version")), int(t.get("size", 0)), image.shell)
                if candidate.digest == ref.digest:
                    return candidate
            return None
        return image

    def pull(self, ref: Reference, credentials: list[dict[str, Any]]) -> Image:
        """Resolve a pull against the simulated registry; raises PullError in containerd's words."""
        name = str(ref)
        prefix = f'failed to pull and unpack image "{name}": failed to resolve reference "{name}": '
        registry = self.registries.get(ref.domain)
        manifest = f"https://{ref.domain}/v2/{ref.path}/manifests/{ref.digest or ref.tag}"
        if registry is None:
            registry = {"reachable": "dns"}
        reach = registry.get("reachable", True)
        address = str(registry.get("address", f"{ref.domain.split(':')[0]}:443"))
        if reach == "dns":
            host = ref.domain.split(":")[0]
            raise PullError(
                "Unknown",
                f'{prefix}failed to do request: Head "{manifest}": dial tcp: lookup {host} '
                f"on {self.resolver}: no such host",
                0.3,
            )
        if reach == "refused":
            raise PullError(
                "Unknown",
                f'{prefix}failed to do request: Head "{manifest}": dial tcp {address}: '
                "connect: connection refused",
                0.2,
            )
        if reach == "timeout":
            raise PullError(
                "Unknown",
                f'{prefix}failed to do request: Head "{manifest}": dial tcp {address}: i/o timeout',
                30.0,
            )
        if reach == "x509":
            raise PullError(
                "Unknown",
                f'{prefix}failed to do request: Head "{manifest}": tls: failed to verify '
                "certificate: x509: certificate signed by unknown authority",
                0.3,
            )
        repo = self.repositories.get(ref.repository)
        if repo is None:
            self._denied(ref, prefix, registry.get("missing_repository", "denied"), anonymous=True)
        assert repo is not None
        private = repo.get("private")
        if private:
            users = [
                c.get("username") for c in credentials if _matches_registry(c.get("registry", ""), ref.domain)
            ]
            if str(private) not in users:
                self._denied(
                    ref,
                    prefix,
                    "denied" if ref.domain == "docker.io" else "unauthorized",
                    anonymous=not users,
                )
        image = self.lookup(ref)
        if image is None:
            raise PullError("NotFound", f"{prefix}{name}: not found", 0.6)
        return image

    def _denied(self, ref: Reference, prefix: str, how: str, *, anonymous: bool) -> None:
        scope = quote(f"repository:{ref.path}:pull", safe="")
        if how == "not_found":
            raise PullError("NotFound", f"{prefix}{ref}: not found", 0.6)
        if ref.domain == "docker.io" and (how == "denied" and anonymous):
            raise PullError(
                "Unknown",
                f"{prefix}pull access denied, repository does not exist or may require "
                "authorization: server message: insufficient_scope: authorization failed",
                0.8,
            )
        if ref.domain == "docker.io":
            raise PullError(
                "Unknown",
                f"{prefix}failed to authorize: failed to fetch oauth token: unexpected status "
                f"from GET request to https://auth.docker.io/token?scope={scope}"
                "&service=registry.docker.io: 401 Unauthorized",
                0.8,
            )
        kind = "anonymous" if anonymous else "oauth"
        raise PullError(
            "Unknown",
            f"{prefix}failed to authorize: failed to fetch {kind} token: unexpected status "
            f"from GET request to https://{ref.domain}/token?scope={scope}&service={ref.domain}: "
            "401 Unauthorized",
            0.8,
        )


def _matches_registry(key: str, domain: str) -> bool:
    host = re.sub(r"^https?://", "", key).split("/", 1)[0]
    if domain == "docker.io":
        return host in ("docker.io", "index.docker.io", "registry-1.docker.io")
    return host == domain


def docker_credentials(secret: dict[str, Any]) -> list[dict[str, Any]]:
    """Registry credentials in a ``kubernetes.io/dockerconfigjson`` (or legacy dockercfg) secret."""
    data = secret.get("data") or {}
    raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
    if not raw:
        return []
    try:
        config = json.loads(base64.b64decode(raw))
    except (binascii.Error, ValueError):
        return []
    auths = config.get("auths", config) if isinstance(config, dict) else {}
    out: list[dict[str, Any]] = []
    for key, entry in auths.items() if isinstance(auths, dict) else []:
        if not isinstance(entry, dict):
            continue
        user = entry.get("username")
        if not user and entry.get("auth"):
            try:
                user = base64.b64decode(entry["auth"]).decode().split(":", 1)[0]
            except (binascii.Error, ValueError):
                user = None
        out.append({"registry": key, "username": user})
    return out


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String()`` for a duration truncated to milliseconds (``1.013s``, ``544ms``)."""
    ms = int(seconds * 1000)
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest = divmod(ms, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    if minutes == 0:
        return secs
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + f"{minutes}m" + secs
