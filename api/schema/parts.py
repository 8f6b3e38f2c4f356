"""Building blocks of the OpenAPI document, shared by its service and rules parts."""
from __future__ import annotations

from typing import Any

JSON = "application/json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


def string(description: str = "", **extra: Any) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def response(description: str, schema: dict | None = None, media: str = JSON) -> dict:
    return {"description": description, **({"content": {media: {"schema": schema}}} if schema else {})}


def error_responses(*statuses: int) -> dict:
    meaning = {400: "invalid parameter or body", 401: "missing bearer token", 403: "wrong token or admin disabled",
               404: "unknown id or path", 408: "the body did not arrive in time", 409: "the new version was refused; the old one keeps serving",
               413: "request body too large", 429: "too many wrong admin tokens from this address lately",
               503: "no model version loaded yet"}
    return {str(status): response(meaning[status], ref("Error")) for status in statuses}


def op(summary: str, tag: str, ok: dict, params: tuple[str, ...] = (), errors: tuple[int, ...] = (),
        body: str | None = None, *, operation_id: str, security: list | None = None) -> dict:
    operation = {"summary": summary, "tags": [tag], "operationId": operation_id,
                 "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
                 "responses": {"200": ok, **error_responses(*errors)}}
    if security is not None:
        operation["security"] = security
        operation["responses"] |= error_responses(429)
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(body)}}}
    return operation
