"""The PersistentVolume controller with a dynamic provisioner: claims get Bound, or say why not.

Immediate claims are provisioned at once; ``WaitForFirstConsumer`` claims wait (``WaitForFirstConsumer``
event) until the scheduler picks a node for a pod using them (``volume.kubernetes.io/selected-node``).
A claim naming a StorageClass that does not exist stays Pending with ``ProvisioningFailed
storageclass.storage.k8s.io "fast" not found``; one with no class and no default class gets
``FailedBinding no persistent volumes available for this claim and no storage class is set``.
Warnings repeat every resync (15 s), so their counts climb as on a real cluster.
"""

from __future__ import annotations

from typing import Any

from ktui.sandbox.controllers.base import Controller, Key, key_of
from ktui.sandbox.errors import ApiError

COMPONENT = "persistentvolume-controller"
RESYNC = 15.0
SELECTED_NODE = "volume.kubernetes.io/selected-node"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
CLASSES = "storageclasses.storage.k8s.io"


class VolumeController(Controller):
    """Binds PersistentVolumeClaims; keys are claims."""

    name = COMPONENT
    watches = ("persistentvolumeclaims", CLASSES)

    def keys_for(
        self, type_: str, resource: str, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> list[Key]:
        """A class change revisits every pending claim."""
        if resource == "persistentvolumeclaims":
            return [] if type_ == "DELETED" else [key_of(obj)]
        return [
            key_of(c)
            for c in self.store.list("persistentvolumeclaims")[0]
            if (c.get("status") or {}).get("phase") != "Bound"
        ]

    def reconcile(self, key: Key) -> None:
        """Provision and bind one claim, or record why it stays Pending."""
        pvc = self.store.get("persistentvolumeclaims", key[0], key[1])
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return
        spec = pvc.get("spec") or {}
        class_name = spec.get("storageClassName")
        if class_name is None:
            default = next(
                (
                    c
                    for c in self.store.list(CLASSES)[0]
                    if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"
                ),
                None,
            )
            class_name = default["metadata"]["name"] if default else None
        if spec.get("volumeName"):
            return  # pre-bound to a volume the user manages
        if not class_name:
            self.recorder.event(
                pvc,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                component=COMPONENT,
            )
            self.enqueue_after(key, RESYNC)
            return
        cls = self.store.get(CLASSES, None, class_name)
        if cls is None:
            self.recorder.event(
                pvc,
                "Warning",
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
                component=COMPONENT,
            )
            self.enqueue_after(key, RESYNC)
            return
        selected = (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        if cls.get("volumeBindingMode") == "WaitForFirstConsumer" and not selected:
            self.recorder.event(
                pvc,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                component=COMPONENT,
            )
            self.enqueue_after(key, RESYNC)
            return
        self._provision(pvc, cls, selected)

    def _provision(self, pvc: dict[str, Any], cls: dict[str, Any], node: str | None) -> None:
        ns, name = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
        provisioner = cls.get("provisioner", "kubernetes.io/no-provisioner")
        pv_name = f"pvc-{pvc['metadata']['uid']}"
        spec = pvc.get("spec") or {}
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        modes = spec.get("accessModes") or ["ReadWriteOnce"]
        self.recorder.event(
            pvc,
            "Normal",
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' "
            "or manually by the system administrator. If volume creation is delayed, please verify "
            "that the provisioner is running and correctly registered.",
            component=COMPONENT,
        )
        pv: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": pv_name,
                "annotations": {"pv.kubernetes.io/provisioned-by": provisioner},
                "finalizers": ["kubernetes.io/pv-protection"],
            },
            "spec": {
                "capacity": {"storage": storage},
                "accessModes": modes,
                "persistentVolumeReclaimPolicy": cls.get("reclaimPolicy", "Delete"),
                "storageClassName": cls["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
                "claimRef": {
                    "kind": "PersistentVolumeClaim",
                    "namespace": ns,
                    "name": name,
                    "apiVersion": "v1",
                    "uid": pvc["metadata"]["uid"],
                    "resourceVersion": pvc["metadata"]["resourceVersion"],
                },
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{pv_name}_{ns}_{name}",
                    "type": "DirectoryOrCreate",
                },
            },
            "status": {"phase": "Bound"},
        }
        if node:
            pv["spec"]["nodeAffinity"] = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
                            ]
                        }
                    ]
                }
            }
        try:
            self.store.create("persistentvolumes", pv)
        except ApiError as exc:
            if exc.code != 409:
                raise
        self.recorder.event(
            pvc,
            "Normal",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {pv_name}",
            component=f"{provisioner}_local-path-provisioner",
        )

        def bind(obj: dict[str, Any]) -> None:
            obj["spec"]["volumeName"] = pv_name
            obj["spec"].setdefault("storageClassName", cls["metadata"]["name"])
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations.update(
                {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": provisioner,
                    "volume.kubernetes.io/storage-provisioner": provisioner,
                }
            )
            obj["status"] = {"phase": "Bound", "accessModes": modes, "capacity": {"storage": storage}}

        self.store.mutate("persistentvolumeclaims", ns, name, bind)
