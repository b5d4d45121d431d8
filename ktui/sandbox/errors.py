"""API errors as the real apiserver reports them: a ``Status`` object and an HTTP code.

Message formats follow k8s.io/apimachinery ``pkg/api/errors/errors.go`` so kubectl prints
``Error from server (NotFound): pods "x" not found`` exactly as against a real cluster.
"""

from __future__ import annotations

from typing import Any

_REASON_PHRASES = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    """An error the API answers with a ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        """The ``Status`` object for the response body (or an in-band watch ERROR)."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def qualified(resource: str, group: str = "") -> str:
    """``pods`` or ``deployments.apps``: how messages name a resource."""
    return f"{resource}.{group}" if group else resource


def _details(resource: str, group: str, name: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = resource
    return details


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    """404: ``pods "x" not found``."""
    return ApiError(
        404, "NotFound", f'{qualified(resource, group)} "{name}" not found', _details(resource, group, name)
    )


def path_not_found() -> ApiError:
    """404 for a path the server does not serve."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    """409: ``pods "x" already exists``."""
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(resource, group)} "{name}" already exists',
        _details(resource, group, name),
    )


def conflict(resource: str, name: str, group: str = "", cause: str | None = None) -> ApiError:
    """409 Conflict for a stale resourceVersion (optimistic concurrency)."""
    cause = (
        cause or "the object has been modified; please apply your changes to the latest version and try again"
    )
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {cause}',
        _details(resource, group, name),
    )


def invalid(kind: str, name: str, causes: list[tuple[str, str, str]], group: str = "") -> ApiError:
    """422: ``Pod "x" is invalid: spec.containers: Required value``; causes are (type, field, message)."""
    texts = [f"{field}: {message}" for _, field, message in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [
        {"reason": typ, "message": message, "field": field} for typ, field, message in causes
    ]
    return ApiError(
        422, "Invalid", f'{kind}{"." + group if group else ""} "{name}" is invalid: {summary}', details
    )


def forbidden(
    user: str,
    verb: str,
    resource: str,
    group: str = "",
    *,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
) -> ApiError:
    """403 in the RBAC authorizer's words (``responsewriters.forbiddenMessage``)."""
    full = f"{resource}/{subresource}" if subresource else resource
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    who = f'User "{user}" cannot {verb} resource "{full}" in API group "{group}" {where}'
    subject = qualified(resource, group) + (f' "{name}"' if name else "")
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {who}", _details(resource, group, name))


def expired(requested: int | str, current: int | str) -> ApiError:
    """410: ``too old resource version: 5 (1013)``."""
    return ApiError(410, "Expired", f"too old resource version: {requested} ({current})")


def continue_expired() -> ApiError:
    """410 for a continue token whose snapshot is gone."""
    return ApiError(
        410,
        "Expired",
        "The provided continue parameter is too old to display a consistent list "
        "result. You can start a new list without the continue parameter.",
    )


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed(verb: str, resource: str) -> ApiError:
    """405: the resource does not support the verb."""
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {"kind": resource},
    )


def internal(cause: str) -> ApiError:
    """500 InternalError: ``Internal error occurred: <cause>``."""
    return ApiError(
        500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]}
    )


def reason_phrase(code: int) -> str:
    """The Status reason usually paired with an HTTP code."""
    return _REASON_PHRASES.get(code, "Unknown")
