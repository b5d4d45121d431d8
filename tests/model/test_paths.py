"""The connection path resolver on records built by hand (pure: no cluster)."""

from __future__ import annotations

from datetime import UTC, datetime

from ktui import resources as r
from ktui.model import paths as p

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def meta(name: str, ns: str = "default", **kw: object) -> r.ObjectMeta:
    return r.ObjectMeta(name=name, namespace=ns, uid=f"uid-{ns}-{name}", **kw)  # type: ignore[arg-type]


def pod(
    name: str,
    labels: dict[str, str],
    *,
    ip: str = "10.244.0.5",
    ready: bool = True,
    ports: tuple[r.ContainerPort, ...] = (r.ContainerPort(container_port=80, name="web"),),
    ns: str = "default",
    phase: str = "Running",
) -> r.Pod:
    cond = (r.Condition(type="Ready", status="True" if ready else "False"),)
    state = (
        r.ContainerState(running=r.ContainerStateRunning())
        if ready
        else r.ContainerState(waiting=r.ContainerStateWaiting(reason="CrashLoopBackOff"))
    )
    return r.Pod(
        metadata=meta(name, ns, labels=labels),
        spec=r.PodSpec(containers=(r.Container(name="web", image="nginx", ports=ports),)),
        status=r.PodStatus(
            phase=phase,
            pod_ip=ip,
            conditions=cond,
            container_statuses=(r.ContainerStatus(name="web", ready=ready, state=state),),
        ),
    )


def service(name: str, selector: dict[str, str] | None, *ports: r.ServicePort) -> r.Service:
    return r.Service(metadata=meta(name), spec=r.ServiceSpec(selector=selector, ports=ports))


def slice_for(
    svc: str,
    *eps: tuple[str, str, bool],
    port: int = 80,
    port_name: str | None = None,
    terminating: bool = False,
) -> r.EndpointSlice:
    return r.EndpointSlice(
        metadata=meta(f"{svc}-abc", labels={"kubernetes.io/service-name": svc}),
        endpoints=tuple(
            r.Endpoint(
                addresses=(ip,),
                conditions=r.EndpointConditions(ready=ready, serving=ready, terminating=terminating),
                target_ref=r.ObjectReference(kind="Pod", namespace="default", name=name),
            )
            for name, ip, ready in eps
        ),
        ports=(r.EndpointPort(port=port, name=port_name),),
    )


def ingress(
    name: str,
    backend_svc: str,
    port: int | str = 80,
    host: str | None = "app.example.com",
    klass: str | None = "nginx",
) -> r.Ingress:
    bport = r.ServiceBackendPort(number=port) if isinstance(port, int) else r.ServiceBackendPort(name=port)
    backend = r.IngressBackend(service=r.IngressServiceBackend(name=backend_svc, port=bport))
    rule = r.IngressRule(
        host=host, http=r.HTTPIngressRuleValue(paths=(r.HTTPIngressPath(path="/", backend=backend),))
    )
    return r.Ingress(metadata=meta(name), spec=r.IngressSpec(ingress_class_name=klass, rules=(rule,)))


NGINX_CLASS = r.IngressClass(
    metadata=r.ObjectMeta(name="nginx", uid="ic"), spec=r.IngressClassSpec(controller="k8s.io/ingress-nginx")
)
CONTROLLER = pod(
    "ingress-nginx-controller-6b7d9",
    {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
    ns="ingress-nginx",
    ip="10.244.0.9",
    ports=(r.ContainerPort(container_port=80, name="http"),),
)


def snap(**kw: object) -> r.ClusterSnapshot:
    return r.ClusterSnapshot(now=NOW, **kw)  # type: ignore[arg-type]


def test_healthy_ingress_path_is_ok_from_controller_to_container_port() -> None:
    web = pod("web-7f9c", {"app": "web"})
    svc = service("web", {"app": "web"}, r.ServicePort(port=80, name="http", target_port="web"))
    s = snap(
        pods=(web, CONTROLLER),
        services=(svc,),
        ingresses=(ingress("web", "web"),),
        ingress_classes=(NGINX_CLASS,),
        endpoint_slices=(slice_for("web", ("web-7f9c", "10.244.0.5", True), port_name="http"),),
    )
    path = p.path_for(s, r.Ref(kind="Ingress", namespace="default", name="web"))
    kinds = [hop.kind for _, hop in path.walk()]
    assert kinds == [
        p.CONTROLLER,
        p.INGRESS_RULE,
        p.BACKEND,
        p.SERVICE_PORT,
        p.ENDPOINTS,
        p.ENDPOINT,
        p.POD,
        p.CONTAINER_PORT,
    ]
    assert path.state is p.HopState.OK and path.first_broken() is None
    assert "ingress-nginx-controller-6b7d9 Running 1/1" in path.roots[0].label
    assert "app.example.com/ (Prefix)" in path.hops(p.INGRESS_RULE)[0].label
    # named targetPort "web" resolved on the pod: 80
    assert path.hops(p.CONTAINER_PORT)[0].port == 80
    assert "targetPort web" in path.hops(p.SERVICE_PORT)[0].label


def test_backend_service_missing_is_the_broken_hop() -> None:
    s = snap(
        pods=(CONTROLLER,),
        ingresses=(ingress("running-ingress", "running-service"),),
        ingress_classes=(NGINX_CLASS,),
    )
    path = p.path_for(s, r.Ref(kind="Ingress", namespace="default", name="running-ingress"))
    broken = path.first_broken()
    assert broken is not None and broken.kind == p.BACKEND
    assert 'backend service "running-service" does not exist' in broken.reason


def test_selector_typo_names_the_near_miss_labels() -> None:
    running = pod("running", {"app": "nginx"})
    svc = service("typo", {"app": "ngnix"}, r.ServicePort(port=80))
    path = p.path_for(
        snap(pods=(running,), services=(svc,), endpoint_slices=(slice_for("typo"),)),
        r.Ref(kind="Service", namespace="default", name="typo"),
    )
    broken = path.first_broken()
    assert broken is not None and broken.kind == p.ENDPOINTS
    assert "selector app=ngnix matches no pod in default" in broken.reason
    assert "pod running has app=nginx (selector wants app=ngnix)" in broken.reason


def test_target_port_not_declared_is_unknown_with_the_declared_ports() -> None:
    running = pod("running", {"app": "nginx"})
    svc = service("wrong-port", {"app": "nginx"}, r.ServicePort(port=80, target_port=81))
    s = snap(
        pods=(running,),
        services=(svc,),
        endpoint_slices=(slice_for("wrong-port", ("running", "10.244.0.5", True), port=81),),
    )
    path = p.path_for(s, r.Ref(kind="Service", namespace="default", name="wrong-port"))
    cport = path.hops(p.CONTAINER_PORT)[0]
    assert cport.state is p.HopState.UNKNOWN and cport.port == 81
    assert "no container declares port 81 (declared: 80/web)" in cport.reason


def test_named_target_port_missing_on_pod_is_broken() -> None:
    running = pod("running", {"app": "nginx"})
    svc = service("named", {"app": "nginx"}, r.ServicePort(port=80, target_port="http"))
    s = snap(
        pods=(running,),
        services=(svc,),
        endpoint_slices=(slice_for("named", ("running", "10.244.0.5", True), port=0),),
    )
    # the slice carries no port for this name: the pod decides, and it has no port named http
    s = snap(
        pods=(running,),
        services=(svc,),
        endpoint_slices=(
            r.EndpointSlice(metadata=s.endpoint_slices[0].metadata, endpoints=s.endpoint_slices[0].endpoints),
        ),
    )
    cport = p.path_for(s, r.Ref(kind="Service", namespace="default", name="named")).hops(p.CONTAINER_PORT)[0]
    assert cport.state is p.HopState.BROKEN
    assert "declares no TCP port named http" in cport.reason


def test_not_ready_and_terminating_endpoints() -> None:
    a, b = pod("a", {"app": "w"}, ready=False), pod("b", {"app": "w"}, ip="10.244.0.6")
    svc = service("w", {"app": "w"}, r.ServicePort(port=80))
    s = snap(
        pods=(a, b),
        services=(svc,),
        endpoint_slices=(slice_for("w", ("a", "10.244.0.5", False), ("b", "10.244.0.6", True)),),
    )
    path = p.path_for(s, r.Ref(kind="Service", namespace="default", name="w"))
    eps = path.hops(p.ENDPOINT)
    assert [e.state for e in eps] == [p.HopState.BROKEN, p.HopState.OK]
    assert "not ready" in eps[0].reason and "CrashLoopBackOff" in eps[0].reason
    assert path.hops(p.ENDPOINTS)[0].label == "endpoints: 1 ready of 2"
    only_not_ready = snap(
        pods=(a,), services=(svc,), endpoint_slices=(slice_for("w", ("a", "10.244.0.5", False)),)
    )
    hop = p.path_for(only_not_ready, r.Ref(kind="Service", namespace="default", name="w")).first_broken()
    assert hop is not None and hop.kind == p.ENDPOINTS and "1 pod(s) match app=w, none ready" in hop.reason
    term = snap(
        pods=(b,),
        services=(svc,),
        endpoint_slices=(slice_for("w", ("b", "10.244.0.6", True), terminating=True),),
    )
    eps = p.path_for(term, r.Ref(kind="Service", namespace="default", name="w")).hops(p.ENDPOINT)
    assert eps[0].state is p.HopState.BROKEN and "terminating" in eps[0].reason


def test_controller_scaled_to_zero_and_not_in_view() -> None:
    deploy = r.Deployment(
        metadata=meta(
            "ingress-nginx-controller", "ingress-nginx", labels={"app.kubernetes.io/name": "ingress-nginx"}
        ),
        spec=r.WorkloadSpec(replicas=0),
    )
    ing = ingress("web", "web")
    hop = p.controller_hop(snap(ingress_classes=(NGINX_CLASS,), deployments=(deploy,)), ing)
    assert hop.state is p.HopState.BROKEN
    assert "Deployment ingress-nginx/ingress-nginx-controller is scaled to 0 replicas" in hop.reason
    # only the default namespace in view: the controller cannot be judged
    hop = p.controller_hop(snap(ingress_classes=(NGINX_CLASS,), pods=(pod("x", {}),)), ing)
    assert hop.state is p.HopState.UNKNOWN
    # a class nobody defines
    hop = p.controller_hop(snap(ingress_classes=(NGINX_CLASS,)), ingress("w", "web", klass="traefik"))
    assert hop.state is p.HopState.BROKEN and "IngressClass traefik does not exist" in hop.reason
    not_ready = pod(
        "ingress-nginx-controller-x",
        {"app.kubernetes.io/name": "ingress-nginx"},
        ready=False,
        ns="ingress-nginx",
    )
    hop = p.controller_hop(snap(ingress_classes=(NGINX_CLASS,), pods=(not_ready,)), ing)
    assert hop.state is p.HopState.BROKEN and "no pod ready" in hop.reason


def test_pod_path_goes_through_its_services_and_ingresses_only_for_that_pod() -> None:
    a, b = pod("a", {"app": "w"}), pod("b", {"app": "w"}, ip="10.244.0.6")
    svc = service("w", {"app": "w"}, r.ServicePort(port=80))
    s = snap(
        pods=(a, b, CONTROLLER),
        services=(svc,),
        ingresses=(ingress("w", "w"),),
        ingress_classes=(NGINX_CLASS,),
        endpoint_slices=(slice_for("w", ("a", "10.244.0.5", True), ("b", "10.244.0.6", True)),),
    )
    path = p.path_for(s, r.Ref(kind="Pod", namespace="default", name="b"))
    assert path.roots[0].kind == p.CONTROLLER
    assert [e.label for e in path.hops(p.ENDPOINT)] == ["endpoint 10.244.0.6:80 ready"]
    lonely = p.path_for(
        snap(pods=(pod("solo", {"app": "x"}),)), r.Ref(kind="Pod", namespace="default", name="solo")
    )
    assert lonely.note == "no Service selects this pod"
    assert [h.kind for _, h in lonely.walk()] == [p.POD, p.CONTAINER_PORT]


def test_endpoint_slices_forbidden_is_unknown_not_missing() -> None:
    svc = service("w", {"app": "w"}, r.ServicePort(port=80))
    s = snap(
        pods=(pod("a", {"app": "w"}),),
        services=(svc,),
        forbidden={"list endpointslices": "forbidden"},
        synced=frozenset({"Pod", "Service"}),
    )
    hop = p.path_for(s, r.Ref(kind="Service", namespace="default", name="w")).hops(p.ENDPOINTS)[0]
    assert hop.state is p.HopState.UNKNOWN and "cannot verify (forbidden: list endpointslices" in hop.reason


def test_ingress_backend_port_missing_and_missing_subjects() -> None:
    svc = service("web", {"app": "web"}, r.ServicePort(port=80, name="http"))
    s = snap(
        pods=(CONTROLLER,),
        services=(svc,),
        ingresses=(ingress("web", "web", port=8080),),
        ingress_classes=(NGINX_CLASS,),
    )
    broken = p.path_for(s, r.Ref(kind="Ingress", namespace="default", name="web")).first_broken()
    assert broken is not None and broken.kind == p.BACKEND
    assert "service web has no port 8080 (ports: web:80/TCP (http))" in broken.reason
    assert (
        p.path_for(s, r.Ref(kind="Pod", namespace="default", name="nope")).note
        == "pod default/nope not found"
    )
