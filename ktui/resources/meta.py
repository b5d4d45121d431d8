"""Metadata, conditions and references shared by every record."""

from __future__ import annotations

from datetime import datetime

import msgspec


class K8s(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True, gc=False):
    """Base of every record: frozen, camelCase on the wire, unknown fields ignored."""


# ---- metadata


class OwnerReference(K8s, frozen=True):
    """Who controls an object (Deployment -> ReplicaSet -> Pod)."""

    kind: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    controller: bool | None = None


class ObjectMeta(K8s, frozen=True):
    """The metadata fields ktui reads."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int | None = None
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: tuple[OwnerReference, ...] = ()


class LocalObjectReference(K8s, frozen=True):
    """A reference by name to an object in the same namespace."""

    name: str = ""


class Condition(K8s, frozen=True):
    """A status condition of any kind (Pod, Node, Deployment, PVC...)."""

    type: str = ""
    status: str = ""
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None


class LabelSelectorRequirement(K8s, frozen=True):
    """One matchExpressions term."""

    key: str = ""
    operator: str = ""
    values: tuple[str, ...] | None = None


class LabelSelector(K8s, frozen=True):
    """A workload's selector."""

    match_labels: dict[str, str] | None = None
    match_expressions: tuple[LabelSelectorRequirement, ...] = ()
