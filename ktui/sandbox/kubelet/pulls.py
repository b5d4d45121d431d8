"""EnsureImageExists: pull policy, pull back-off and the events of pkg/kubelet/images/image_manager.go."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ktui.sandbox.kubelet.images import Image, InvalidReference, PullError, docker_credentials, go_duration
from ktui.sandbox.kubelet.images import parse_reference as parse

if TYPE_CHECKING:
    from ktui.sandbox.kubelet.pod_worker import PodWorker
    from ktui.sandbox.kubelet.status import Slot

INITIAL = 10.0
MAXIMUM = 300.0


@dataclass
class Backoff:
    """client-go ``flowcontrol.Backoff`` for one key: 10 s doubling to 5 min, reset after 10 idle minutes."""

    duration: float = 0.0
    last_update: float | None = None

    def next(self, event_time: float, now: float) -> None:
        """Record a failure (``Next``)."""
        if self.last_update is None or event_time - self.last_update > 2 * MAXIMUM:
            self.duration = INITIAL
        else:
            self.duration = min(self.duration * 2, MAXIMUM)
        self.last_update = now

    def in_backoff_since(self, event_time: float, now: float) -> bool:
        """``IsInBackOffSince``: still within the back-off counted from ``event_time``."""
        if self.last_update is None or now - self.last_update > 2 * MAXIMUM:
            return False
        return now - event_time < self.duration


def pull_credentials(worker: PodWorker) -> list[dict[str, Any]]:
    """Credentials from the pod's and its ServiceAccount's imagePullSecrets; warns about missing ones."""
    store, pod = worker.node.store, worker.pod
    names = [str(s.get("name", "")) for s in pod["spec"].get("imagePullSecrets") or []]
    sa = store.get("serviceaccounts", worker.namespace, pod["spec"].get("serviceAccountName") or "default")
    names += [str(s.get("name", "")) for s in (sa or {}).get("imagePullSecrets") or []]
    creds: list[dict[str, Any]] = []
    missing = []
    for name in dict.fromkeys(names):
        secret = store.get("secrets", worker.namespace, name)
        if secret is None:
            missing.append(name)
            continue
        if secret.get("type") in ("kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"):
            creds += docker_credentials(secret)
    if missing:
        worker.event(
            "Warning",
            "FailedToRetrieveImagePullSecret",
            f"Unable to retrieve some image pull secrets ({', '.join(missing)}); attempting to pull the "
            "image may not succeed.",
        )
    return creds


async def ensure_image(worker: PodWorker, slot: Slot) -> Image | None:
    """The image ready to run, or None with the slot waiting (ErrImagePull, ImagePullBackOff, ...)."""
    requested = str(slot.spec.get("image", ""))
    node = worker.node
    try:
        ref = parse(requested)
    except InvalidReference as e:
        msg = (
            f'Failed to apply default image tag "{requested}": couldn\'t parse image name "{requested}": {e}'
        )
        worker.event("Warning", "InspectFailed", msg, slot)
        worker.event("Warning", "Failed", "Error: InvalidImageName", slot)
        slot.waiting = ("InvalidImageName", msg)
        return None
    policy = slot.spec.get("imagePullPolicy") or ("Always" if ref.tag == "latest" else "IfNotPresent")
    present = node.images.get(str(ref))
    if present is not None and policy != "Always":
        worker.event("Normal", "Pulled", f'Container image "{requested}" already present on machine', slot)
        return present
    if policy == "Never":
        msg = f'Container image "{requested}" is not present with pull policy of Never'
        worker.event("Warning", "ErrImageNeverPull", msg, slot)
        worker.event("Warning", "Failed", "Error: ErrImageNeverPull", slot)
        slot.waiting = ("ErrImageNeverPull", msg)
        return None
    key = f"{worker.uid}_{requested}"
    backoff = worker.pull_backoff.setdefault(key, Backoff())
    now = worker.sim_now()
    if backoff.last_update is not None and now - backoff.last_update < backoff.duration:
        msg = f'Back-off pulling image "{requested}"'
        worker.event("Normal", "BackOff", msg, slot)
        worker.event("Warning", "Failed", "Error: ImagePullBackOff", slot)
        prev = worker.prev_pull_error.get(key)
        slot.waiting = ("ImagePullBackOff", f"{msg}: {prev}" if prev else msg)
        return None
    creds = pull_credentials(worker)
    worker.event("Normal", "Pulling", f'Pulling image "{requested}"', slot)
    worker.write_status()
    queued = time.monotonic()
    async with node.pull_lock:  # the kubelet serializes image pulls by default
        started = time.monotonic()
        try:
            image = node.catalog.pull(ref, creds)
            seconds = 0.4 + image.size / 40_000_000 if present is None else 0.3
            await node.clock.sleep(seconds)
        except PullError as e:
            await node.clock.sleep(e.duration)
            worker.event("Warning", "Failed", f'Failed to pull image "{requested}": {e}', slot)
            backoff.next(worker.sim_now(), worker.sim_now())
            worker.prev_pull_error[key] = f"ErrImagePull: {e}"
            worker.event("Warning", "Failed", "Error: ErrImagePull", slot)
            slot.waiting = ("ErrImagePull", str(e))
            return None
    speed = node.clock.speed
    pulled = (time.monotonic() - started) * speed
    total = (time.monotonic() - queued) * speed
    node.images[str(ref)] = image
    worker.prev_pull_error.pop(key, None)
    worker.event(
        "Normal",
        "Pulled",
        f'Successfully pulled image "{requested}" in {go_duration(pulled)} '
        f"({go_duration(total)} including waiting). Image size: {image.size} bytes.",
        slot,
    )
    return image
