"""The simulated kubelets: pods on nodes, image pulls, programs, probes, logs, port-forward dials."""

from ktui.sandbox.kubelet.node import STOPPED_ANNOTATION, KubeletFleet, NodeKubelet, PortForwardError
from ktui.sandbox.kubelet.programs import register_program

__all__ = ["STOPPED_ANNOTATION", "KubeletFleet", "NodeKubelet", "PortForwardError", "register_program"]
