"""kube-controller-manager for the sandbox: Deployments, ReplicaSets, quota, endpoints, nodes, volumes, GC."""
