"""Services, endpoints, ingresses and ingress classes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import field

from ktui.resources.meta import K8s, ObjectMeta

# ---- services


class ServicePort(K8s, frozen=True):
    """A Service port; target_port is a number, a container port name, or None (= port)."""

    port: int = 0
    name: str | None = None
    target_port: int | str | None = None
    protocol: str = "TCP"
    node_port: int | None = None


class ServiceSpec(K8s, frozen=True):
    """The Service spec fields ktui reads."""

    type: str = "ClusterIP"
    selector: dict[str, str] | None = None
    cluster_ip: str | None = field(default=None, name="clusterIP")
    ports: tuple[ServicePort, ...] = ()
    external_name: str | None = None


class Service(K8s, frozen=True, kw_only=True):
    """A Service."""

    metadata: ObjectMeta = ObjectMeta()
    spec: ServiceSpec = ServiceSpec()
    kind: str = "Service"


class ObjectReference(K8s, frozen=True):
    """A reference to any object (targetRef, involvedObject)."""

    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""
    api_version: str = ""
    field_path: str | None = None


class EndpointConditions(K8s, frozen=True):
    """An EndpointSlice endpoint's conditions (None means unknown, treated as ready)."""

    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Endpoint(K8s, frozen=True):
    """One endpoint of an EndpointSlice."""

    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions = EndpointConditions()
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(K8s, frozen=True):
    """A port of an EndpointSlice (the target port)."""

    port: int | None = None
    name: str | None = None
    protocol: str = "TCP"


class EndpointSlice(K8s, frozen=True, kw_only=True):
    """An EndpointSlice (label kubernetes.io/service-name names its Service)."""

    metadata: ObjectMeta = ObjectMeta()
    address_type: str = "IPv4"
    if TYPE_CHECKING:
        endpoints: tuple[Endpoint, ...] = ()
        ports: tuple[EndpointPort, ...] = ()
    else:
        # The API sends `null` for a slice with no endpoints (Go's non-omitempty nil slice):
        # accept it on the wire, and normalise it to () so readers never see None.
        endpoints: tuple[Endpoint, ...] | None = ()
        ports: tuple[EndpointPort, ...] | None = ()
    kind: str = "EndpointSlice"

    def __post_init__(self) -> None:
        if self.endpoints is None:
            msgspec.structs.force_setattr(self, "endpoints", ())
        if self.ports is None:
            msgspec.structs.force_setattr(self, "ports", ())

    @property
    def service_name(self) -> str:
        """The Service this slice belongs to."""
        return (self.metadata.labels or {}).get("kubernetes.io/service-name", "")


class EndpointAddress(K8s, frozen=True):
    """A core/v1 Endpoints address."""

    ip: str = ""
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointSubset(K8s, frozen=True):
    """A core/v1 Endpoints subset."""

    addresses: tuple[EndpointAddress, ...] = ()
    not_ready_addresses: tuple[EndpointAddress, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


class Endpoints(K8s, frozen=True, kw_only=True):
    """Core/v1 Endpoints (read from dumps; live ktui reads EndpointSlices)."""

    metadata: ObjectMeta = ObjectMeta()
    subsets: tuple[EndpointSubset, ...] = ()
    kind: str = "Endpoints"


# ---- ingress


class ServiceBackendPort(K8s, frozen=True):
    """An Ingress backend's service port, by number or by name."""

    number: int | None = None
    name: str | None = None


class IngressServiceBackend(K8s, frozen=True):
    """An Ingress backend's service."""

    name: str = ""
    port: ServiceBackendPort = ServiceBackendPort()


class IngressBackend(K8s, frozen=True):
    """An Ingress backend (service or resource)."""

    service: IngressServiceBackend | None = None
    resource: dict[str, Any] | None = None


class HTTPIngressPath(K8s, frozen=True):
    """A path rule."""

    path: str | None = None
    path_type: str = "Prefix"
    backend: IngressBackend = IngressBackend()


class HTTPIngressRuleValue(K8s, frozen=True):
    """The http part of a rule."""

    paths: tuple[HTTPIngressPath, ...] = ()


class IngressRule(K8s, frozen=True):
    """A host rule."""

    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressTLS(K8s, frozen=True):
    """A TLS entry."""

    hosts: tuple[str, ...] = ()
    secret_name: str | None = None


class IngressSpec(K8s, frozen=True):
    """The Ingress spec."""

    ingress_class_name: str | None = None
    default_backend: IngressBackend | None = None
    rules: tuple[IngressRule, ...] = ()
    tls: tuple[IngressTLS, ...] = ()


class LoadBalancerIngress(K8s, frozen=True):
    """status.loadBalancer.ingress[] entry."""

    ip: str | None = None
    hostname: str | None = None


class LoadBalancerStatus(K8s, frozen=True):
    """status.loadBalancer."""

    ingress: tuple[LoadBalancerIngress, ...] = ()


class IngressStatus(K8s, frozen=True):
    """The Ingress status."""

    load_balancer: LoadBalancerStatus = LoadBalancerStatus()


class Ingress(K8s, frozen=True, kw_only=True):
    """An Ingress."""

    metadata: ObjectMeta = ObjectMeta()
    spec: IngressSpec = IngressSpec()
    status: IngressStatus = IngressStatus()
    kind: str = "Ingress"


class IngressClassSpec(K8s, frozen=True):
    """The IngressClass spec."""

    controller: str = ""


class IngressClass(K8s, frozen=True, kw_only=True):
    """An IngressClass (cluster-scoped)."""

    metadata: ObjectMeta = ObjectMeta()
    spec: IngressClassSpec = IngressClassSpec()
    kind: str = "IngressClass"
