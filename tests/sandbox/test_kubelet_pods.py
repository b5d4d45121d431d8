"""The simulated kubelet driven through the Store: pod states, events, logs and dials as on a real node."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from ktui.sandbox.clock import SimClock
from ktui.sandbox.errors import ApiError
from ktui.sandbox.kubelet import KubeletFleet, PortForwardError
from ktui.sandbox.store import Store

NODE = "kind-control-plane"


class Cluster:
    """A store with one node and its kubelet, on the test's loop."""

    def __init__(self, store: Store, fleet: KubeletFleet) -> None:
        self.store = store
        self.fleet = fleet

    def pod(self, name: str, *containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
        body = {
            "metadata": {"name": name},
            "spec": {"nodeName": NODE, "containers": list(containers), **spec},
        }
        return self.store.create("pods", body, namespace="default")

    def get(self, name: str) -> dict[str, Any]:
        pod = self.store.get("pods", "default", name)
        assert pod is not None
        return pod

    def state(self, name: str, index: int = 0, key: str = "containerStatuses") -> dict[str, Any]:
        statuses = (self.get(name).get("status") or {}).get(key) or [{}]
        return statuses[index]

    def waiting(self, name: str) -> str:
        return ((self.state(name).get("state") or {}).get("waiting") or {}).get("reason", "")

    def events(self, name: str) -> list[dict[str, Any]]:
        items = self.store.list("events", "default")[0]
        return [e for e in items if e["involvedObject"]["name"] == name]

    def event(self, name: str, reason: str, contains: str = "") -> dict[str, Any] | None:
        for e in self.events(name):
            if e["reason"] == reason and contains in e["message"]:
                return e
        return None

    async def until(self, pred: Callable[[], Any], timeout: float = 8.0) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = pred()
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("condition not reached")
            await asyncio.sleep(0.02)

    async def logs(self, name: str, container: str = "web", **kw: Any) -> bytes:
        out = b""
        async for chunk in self.fleet.logs("default", name, container, **kw):
            out += chunk
        return out


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    clock = SimClock(50)
    store = Store(clock)
    store.create("namespaces", {"metadata": {"name": "default"}})
    store.create(
        "nodes",
        {
            "metadata": {"name": NODE},
            "status": {"addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]},
        },
    )
    fleet = KubeletFleet(store, clock)
    await fleet.start()
    try:
        yield Cluster(store, fleet)
    finally:
        await fleet.stop()


NGINX = {"name": "web", "image": "nginx", "ports": [{"name": "web", "containerPort": 80}]}


async def test_running_nginx_is_ready_with_ips_and_serves_its_welcome_page(cluster: Cluster) -> None:
    cluster.pod("running", NGINX)
    await cluster.until(lambda: cluster.state("running").get("ready"))
    status = cluster.get("running")["status"]
    assert status["phase"] == "Running"
    assert status["podIP"].startswith("10.244.0.") and status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["hostIP"] == "172.18.0.2"
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert all(c["status"] == "True" for c in status["conditions"])
    cs = cluster.state("running")
    assert cs["image"] == "docker.io/library/nginx:latest"
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")
    assert cs["containerID"].startswith("containerd://") and len(cs["containerID"]) == 13 + 64
    assert [e["reason"] for e in sorted(cluster.events("running"), key=lambda e: e["metadata"]["name"])] == [
        "Pulling",
        "Pulled",
        "Created",
        "Started",
    ]
    pulled = cluster.event("running", "Pulled")
    assert pulled is not None and "Image size: 72099410 bytes." in pulled["message"]
    assert pulled["involvedObject"]["fieldPath"] == "spec.containers{web}"
    assert pulled["source"] == {"component": "kubelet", "host": NODE}

    reader, writer = await cluster.fleet.dial("default", "running", 80)
    writer.write(
        b"GET / HTTP/1.1\r\nHost: localhost:8081\r\nUser-Agent: curl/8.5.0\r\nConnection: close\r\n\r\n"
    )
    response = await reader.read()
    assert response.startswith(b"HTTP/1.1 200 OK\r\nServer: nginx/1.27.3\r\n")
    assert b"<title>Welcome to nginx!</title>" in response and b"Content-Length: 615\r\n" in response
    log = await cluster.logs("running")
    assert b"Configuration complete; ready for start up" in log
    assert b"127.0.0.1 - - [" in log and b'"GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"' in log


async def test_dial_to_a_port_nothing_listens_on_fails_with_the_kubelet_text(cluster: Cluster) -> None:
    cluster.pod("running", NGINX)
    await cluster.until(lambda: cluster.state("running").get("ready"))
    with pytest.raises(PortForwardError) as err:
        await cluster.fleet.dial("default", "running", 81)
    text = str(err.value)
    assert text.startswith("error forwarding port 81 to pod ")
    assert ', uid : failed to execute portforward in network namespace "/var/run/netns/cni-' in text
    assert text.endswith(
        "IPv4: dial tcp4 127.0.0.1:81: connect: connection refused IPv6 dial tcp6 [::1]:81: "
        "connect: connection refused "
    )


async def test_missing_tag_alternates_errimagepull_and_imagepullbackoff_with_aggregated_events(
    cluster: Cluster,
) -> None:
    cluster.pod("backoff", {"name": "web", "image": "nginx:not-exist"})
    seen: set[str] = set()

    def both() -> bool:
        seen.add(cluster.waiting("backoff"))
        e = cluster.event("backoff", "Pulling")
        b = cluster.event("backoff", "BackOff")
        return bool(
            {"ErrImagePull", "ImagePullBackOff"} <= seen and e and e["count"] >= 2 and b and b["count"] >= 2
        )

    await cluster.until(both, timeout=10)
    failed = cluster.event("backoff", "Failed", "Failed to pull image")
    assert failed is not None
    assert failed["message"] == (
        'Failed to pull image "nginx:not-exist": rpc error: code = NotFound desc = failed to pull and unpack '
        'image "docker.io/library/nginx:not-exist": failed to resolve reference '
        '"docker.io/library/nginx:not-exist": '
        "docker.io/library/nginx:not-exist: not found"
    )
    assert cluster.event("backoff", "Failed", "Error: ErrImagePull") is not None
    assert cluster.event("backoff", "Failed", "Error: ImagePullBackOff") is not None
    backoff = cluster.event("backoff", "BackOff")
    assert backoff is not None and backoff["message"] == 'Back-off pulling image "nginx:not-exist"'
    assert backoff["type"] == "Normal" and backoff["count"] >= 2
    assert backoff["lastTimestamp"] >= backoff["firstTimestamp"]
    await cluster.until(lambda: cluster.waiting("backoff") == "ImagePullBackOff")
    message = cluster.state("backoff")["state"]["waiting"]["message"]
    assert message.startswith(
        'Back-off pulling image "nginx:not-exist": ErrImagePull: rpc error: code = NotFound'
    )
    assert cluster.get("backoff")["status"]["phase"] == "Pending"
    with pytest.raises(ApiError) as err:
        await cluster.logs("backoff")
    assert err.value.message in (
        'container "web" in pod "backoff" is waiting to start: trying and failing to pull image',
        'container "web" in pod "backoff" is waiting to start: image can\'t be pulled',
    )


async def test_bad_command_crash_loops_and_logs_show_the_seed_lines(cluster: Cluster) -> None:
    pod = cluster.pod("error", {"name": "web", "image": "nginx", "command": ["sleep", "a"]})
    uid = pod["metadata"]["uid"]
    await cluster.until(
        lambda: (
            cluster.waiting("error") == "CrashLoopBackOff" and cluster.state("error")["restartCount"] >= 2
        ),
        timeout=10,
    )
    cs = cluster.state("error")
    assert cs["state"]["waiting"]["message"].endswith(
        f"restarting failed container=web pod=error_default({uid})"
    )
    assert cs["state"]["waiting"]["message"].startswith("back-off ")
    last = cs["lastState"]["terminated"]
    assert last["exitCode"] == 1 and last["reason"] == "Error"
    assert cs["containerID"] == last["containerID"]
    assert cluster.get("error")["status"]["phase"] == "Running"
    ready = {c["type"]: c for c in cluster.get("error")["status"]["conditions"]}["Ready"]
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [web]"
    backoff = cluster.event("error", "BackOff")
    assert backoff is not None
    assert backoff["message"] == f"Back-off restarting failed container web in pod error_default({uid})"
    lines = b"sleep: invalid time interval 'a'\nTry 'sleep --help' for more information.\n"
    assert await cluster.logs("error") == lines
    assert await cluster.logs("error", previous=True) == lines
    stamped = await cluster.logs("error", timestamps=True, tail_lines=1)
    stamp, text = stamped.split(b" ", 1)
    assert text == b"Try 'sleep --help' for more information.\n" and stamp.endswith(b"Z") and b"T" in stamp


async def test_previous_log_of_a_container_that_never_restarted_is_not_found(cluster: Cluster) -> None:
    cluster.pod("running", NGINX)
    await cluster.until(lambda: cluster.state("running").get("ready"))
    with pytest.raises(ApiError) as err:
        await cluster.logs("running", previous=True)
    assert err.value.code == 400
    assert err.value.message == 'previous terminated container "web" in pod "running" not found'


async def test_restart_policy_never_with_a_failing_script_ends_failed(cluster: Cluster) -> None:
    cluster.pod(
        "job",
        {"name": "web", "image": "busybox:1.36", "command": ["sh", "-c", "echo starting; exit 3"]},
        restartPolicy="Never",
    )
    await cluster.until(lambda: cluster.get("job")["status"].get("phase") == "Failed")
    term = cluster.state("job")["state"]["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error"
    assert cluster.state("job")["restartCount"] == 0
    assert await cluster.logs("job") == b"starting\n"


async def test_completed_pod_succeeds(cluster: Cluster) -> None:
    cluster.pod(
        "done",
        {"name": "web", "image": "busybox:1.36", "command": ["sh", "-c", "echo hi && sleep 1"]},
        restartPolicy="OnFailure",
    )
    await cluster.until(lambda: cluster.get("done")["status"].get("phase") == "Succeeded")
    assert cluster.state("done")["state"]["terminated"]["reason"] == "Completed"
    ready = {c["type"]: c for c in cluster.get("done")["status"]["conditions"]}["Ready"]
    assert ready["reason"] == "PodCompleted"


async def test_missing_executable_is_a_start_error(cluster: Cluster) -> None:
    cluster.pod("badcmd", {"name": "web", "image": "nginx:1.27", "command": ["foo"]})
    await cluster.until(lambda: cluster.state("badcmd").get("lastState", {}).get("terminated"))
    cs = cluster.state("badcmd")
    message = (
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc "
        'create failed: unable to start container process: exec: "foo": executable file not found in '
        "$PATH: unknown"
    )
    assert cs["lastState"]["terminated"]["reason"] == "StartError"
    assert cs["lastState"]["terminated"]["exitCode"] == 128
    assert cs["state"]["waiting"]["reason"] in ("RunContainerError", "CrashLoopBackOff")
    assert cluster.event("badcmd", "Failed", "Error: " + message) is not None
    # the restart reuses the image pulled for the first attempt (IfNotPresent)
    await cluster.until(lambda: cluster.event("badcmd", "Pulled", "already present on machine"))


async def test_memory_limit_below_need_is_oomkilled(cluster: Cluster) -> None:
    cluster.pod(
        "oom",
        {"name": "web", "image": "ghcr.io/ktui-demo/worker:1.4", "resources": {"limits": {"memory": "64Mi"}}},
    )
    await cluster.until(lambda: cluster.state("oom").get("lastState", {}).get("terminated"))
    term = cluster.state("oom")["lastState"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137


async def test_missing_configmap_key_and_recovery(cluster: Cluster) -> None:
    env = [{"name": "DB_URL", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "db-url"}}}]
    cluster.pod("cfg", {"name": "web", "image": "nginx:1.27", "env": env})
    await cluster.until(lambda: cluster.waiting("cfg") == "CreateContainerConfigError")
    assert cluster.state("cfg")["state"]["waiting"]["message"] == 'configmap "app-config" not found'
    assert cluster.event("cfg", "Failed", 'Error: configmap "app-config" not found') is not None
    cluster.store.create(
        "configmaps", {"metadata": {"name": "app-config"}, "data": {"other": "x"}}, namespace="default"
    )
    await cluster.until(
        lambda: (
            "couldn't find key" in (cluster.state("cfg")["state"].get("waiting") or {}).get("message", "")
        ),
        timeout=10,
    )
    assert cluster.state("cfg")["state"]["waiting"]["message"] == (
        "couldn't find key db-url in ConfigMap default/app-config"
    )

    def fix(obj: dict[str, Any]) -> None:
        obj["data"]["db-url"] = "postgres://db"

    cluster.store.mutate("configmaps", "default", "app-config", fix)
    await cluster.until(lambda: cluster.state("cfg").get("ready"), timeout=10)


async def test_missing_volume_source_fails_mount_until_it_appears(cluster: Cluster) -> None:
    cluster.pod(
        "vol",
        {
            "name": "web",
            "image": "ghcr.io/ktui-demo/api:2.3",
            "volumeMounts": [{"name": "config", "mountPath": "/etc/api"}],
        },
        volumes=[{"name": "config", "configMap": {"name": "api-config"}}],
    )
    await cluster.until(lambda: cluster.event("vol", "FailedMount"))
    assert cluster.event("vol", "FailedMount")["message"] == (  # type: ignore[index]
        'MountVolume.SetUp failed for volume "config" : configmap "api-config" not found'
    )
    assert cluster.waiting("vol") == "ContainerCreating"
    assert cluster.get("vol")["status"]["phase"] == "Pending"
    cluster.store.create(
        "configmaps",
        {"metadata": {"name": "api-config"}, "data": {"config.yaml": "port: 8080"}},
        namespace="default",
    )
    await cluster.until(lambda: cluster.state("vol").get("ready"), timeout=10)
    log = await cluster.logs("vol")
    assert b'"path":"/etc/api/config.yaml"' in log


async def test_app_without_its_config_crashes_with_a_realistic_error(cluster: Cluster) -> None:
    cluster.pod("app", {"name": "web", "image": "ghcr.io/ktui-demo/api:2.3"})
    await cluster.until(lambda: cluster.state("app").get("lastState", {}).get("terminated"))
    log = await cluster.logs("app", previous=True)
    assert b"Error: failed to load config: open /etc/api/config.yaml: no such file or directory" in log


async def test_readiness_404_and_liveness_refused(cluster: Cluster) -> None:
    probe = {"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 2, "failureThreshold": 2}
    cluster.pod("ready", {**NGINX, "readinessProbe": probe})
    live = {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 2, "failureThreshold": 2}
    cluster.pod("live", {**NGINX, "livenessProbe": live})
    await cluster.until(
        lambda: cluster.event("ready", "Unhealthy") and cluster.event("live", "Killing"), timeout=10
    )
    assert cluster.event("ready", "Unhealthy")["message"] == (  # type: ignore[index]
        "Readiness probe failed: HTTP probe failed with statuscode: 404"
    )
    assert cluster.state("ready")["ready"] is False and cluster.state("ready")["started"] is True
    ip = cluster.get("live")["status"]["podIP"]
    unhealthy = cluster.event("live", "Unhealthy")
    assert unhealthy is not None and unhealthy["message"] == (
        f'Liveness probe failed: Get "http://{ip}:8080/": dial tcp {ip}:8080: connect: connection refused'
    )
    assert cluster.event("live", "Killing")["message"] == (  # type: ignore[index]
        "Container web failed liveness probe, will be restarted"
    )
    await cluster.until(lambda: cluster.state("live")["restartCount"] >= 1, timeout=10)
    assert b"kube-probe/1.32" in await cluster.logs("ready")


async def test_exec_liveness_probe_on_the_classic_example(cluster: Cluster) -> None:
    script = "touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; sleep 600"
    cluster.pod(
        "exec",
        {
            "name": "web",
            "image": "busybox:1.36",
            "args": ["/bin/sh", "-c", script],
            "livenessProbe": {
                "exec": {"command": ["cat", "/tmp/healthy"]},
                "periodSeconds": 2,
                "failureThreshold": 1,
            },
        },
    )
    await cluster.until(lambda: cluster.event("exec", "Unhealthy"), timeout=10)
    assert cluster.event("exec", "Unhealthy")["message"] == (  # type: ignore[index]
        "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    )


async def test_init_container_failure_then_success(cluster: Cluster) -> None:
    init = {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "echo waiting for db; exit 1"]}
    cluster.pod("initfail", NGINX, initContainers=[init])
    await cluster.until(
        lambda: cluster.state("initfail", key="initContainerStatuses").get("restartCount", 0) >= 1
    )
    st = cluster.get("initfail")["status"]
    assert st["phase"] == "Pending"
    inited = {c["type"]: c for c in st["conditions"]}["Initialized"]
    assert inited["status"] == "False" and inited["message"] == "containers with incomplete status: [init]"
    assert cluster.state("initfail")["state"]["waiting"]["reason"] == "PodInitializing"
    assert await cluster.logs("initfail", "init", previous=False) == b"waiting for db\n"
    ok = {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "echo ready"]}
    cluster.pod("initok", NGINX, initContainers=[ok])
    await cluster.until(lambda: cluster.state("initok").get("ready"))
    assert (
        cluster.state("initok", key="initContainerStatuses")["state"]["terminated"]["reason"] == "Completed"
    )


async def test_graceful_deletion_kills_then_removes(cluster: Cluster) -> None:
    cluster.pod("running", NGINX)
    await cluster.until(lambda: cluster.state("running").get("ready"))
    cluster.store.delete("pods", "default", "running")
    await cluster.until(lambda: cluster.store.get("pods", "default", "running") is None)
    killing = cluster.event("running", "Killing")
    assert killing is not None and killing["message"] == "Stopping container web"


async def test_image_pull_failure_classes(cluster: Cluster) -> None:
    cluster.pod("invalid", {"name": "web", "image": "nginx:1.27:bad"})
    cluster.pod("never", {"name": "web", "image": "redis:7", "imagePullPolicy": "Never"})
    cluster.pod("dns", {"name": "web", "image": "registry.internal.example/team/app:1.0"})
    cluster.pod("private", {"name": "web", "image": "registry.example.com/acme/billing:3.2.1"})
    await cluster.until(
        lambda: (
            all(cluster.waiting(n) for n in ("invalid", "never"))
            and cluster.event("dns", "Failed", "Failed to pull")
            and cluster.event("private", "Failed", "Failed to pull")
        )
    )
    assert cluster.waiting("invalid") == "InvalidImageName"
    assert cluster.event("invalid", "InspectFailed")["message"] == (  # type: ignore[index]
        'Failed to apply default image tag "nginx:1.27:bad": couldn\'t parse image name "nginx:1.27:bad": '
        "invalid reference format"
    )
    assert cluster.waiting("never") == "ErrImageNeverPull"
    assert cluster.state("never")["state"]["waiting"]["message"] == (
        'Container image "redis:7" is not present with pull policy of Never'
    )
    dns = cluster.event("dns", "Failed", "Failed to pull")
    assert dns is not None
    assert "dial tcp: lookup registry.internal.example on 172.18.0.1:53: no such host" in dns["message"]
    assert "401 Unauthorized" in cluster.event("private", "Failed", "Failed to pull")["message"]  # type: ignore[index]


async def test_private_image_pulls_with_a_dockerconfigjson_secret(cluster: Cluster) -> None:
    auth = {
        "auths": {
            "registry.example.com": {
                "username": "acme-ci",
                "password": "s3cret",
                "auth": base64.b64encode(b"acme-ci:s3cret").decode(),
            }
        }
    }
    data = base64.b64encode(json.dumps(auth).encode()).decode()
    cluster.store.create(
        "secrets",
        {
            "metadata": {"name": "regcred"},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": data},
        },
        namespace="default",
    )
    cluster.pod(
        "billing",
        {"name": "web", "image": "registry.example.com/acme/billing:3.2.1"},
        imagePullSecrets=[{"name": "regcred"}],
    )
    cluster.pod(
        "typo",
        {"name": "web", "image": "registry.example.com/acme/billing:3.2.1"},
        imagePullSecrets=[{"name": "regcreds"}],
    )
    await cluster.until(
        lambda: (
            cluster.state("billing").get("ready") and cluster.event("typo", "FailedToRetrieveImagePullSecret")
        )
    )
    assert cluster.event("typo", "FailedToRetrieveImagePullSecret")["message"] == (  # type: ignore[index]
        "Unable to retrieve some image pull secrets (regcreds); attempting to pull the image may not succeed."
    )


async def test_node_heartbeat_and_stopped_kubelet(cluster: Cluster) -> None:
    def ready() -> dict[str, Any] | None:
        node = cluster.store.get("nodes", None, NODE) or {}
        return {c["type"]: c for c in (node.get("status") or {}).get("conditions") or []}.get("Ready")

    await cluster.until(ready)
    assert ready()["reason"] == "KubeletReady"  # type: ignore[index]

    def stop(obj: dict[str, Any]) -> None:
        obj["metadata"].setdefault("annotations", {})["sandbox.ktui.dev/kubelet"] = "stopped"

    cluster.store.mutate("nodes", None, NODE, stop)
    await asyncio.sleep(0.05)
    rv = cluster.store.get("nodes", None, NODE)["metadata"]["resourceVersion"]  # type: ignore[index]
    await asyncio.sleep(0.5)  # 25 s of cluster time: two missed heartbeats
    assert cluster.store.get("nodes", None, NODE)["metadata"]["resourceVersion"] == rv  # type: ignore[index]
