"""Port-forward for the sandbox: the v4 WebSocket channels, and SPDY/3.1 raw or tunnelled in WebSocket."""

from ktui.sandbox.portforward.handler import handle_portforward, shutdown_portforwards

__all__ = ["handle_portforward", "shutdown_portforwards"]
