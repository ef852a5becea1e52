"""``/openapi.json``: an OpenAPI 3.1 document generated from ``ROUTES`` and the pydantic models.

OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what pydantic emits, so the models are
the single source of truth for both validation and documentation.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tenancy.http.routes import ROUTES, RouteSpec

_ERRORS = {
    "400": "Invalid body, query or cursor",
    "401": "No credential, or one that matches nothing",
    "403": "Valid credential without the right (or a suspended tenant)",
    "404": "Not found (another tenant's resource looks the same)",
    "409": "Already exists",
    "422": "Genesys or Meta refused the credentials; the error code says what to fix",
    "429": "Rate limit or monthly quota exceeded; see Retry-After",
    "503": "A dependency (PostgreSQL, Redis, Vault, Genesys, Meta) is unavailable; retry",
}
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "admin": [{"adminBearer": []}],
    "tenant": [{"apiKey": []}, {"tenantJwt": []}, {}],
    "owner": [{"adminBearer": []}, {"apiKey": []}, {"tenantJwt": []}],
}


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for spec in ROUTES:
        for model in (spec.body, spec.response):
            if model is not None and model not in found:
                found.append(model)
    return found


def _parameters(spec: RouteSpec) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", spec.path)
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(by_alias=True)
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": False, "schema": prop})
    return params


def _operation(spec: RouteSpec, refs: dict[str, str]) -> dict[str, Any]:
    response_ref = {"$ref": refs[spec.response.__name__]}
    responses: dict[str, Any] = {
        str(spec.status): {
            "description": spec.summary,
            "content": {"application/json": {"schema": response_ref}},
        }
    }
    error = {"$ref": "#/components/responses/Error"}
    responses.update(
        {
            code: error
            for code in _ERRORS
            if (code != "409" or spec.method == "POST")
            and (code != "422" or "credentials" in spec.path or spec.method == "DELETE")
        }
    )
    operation: dict[str, Any] = {
        "operationId": spec.handler.__name__,
        "summary": spec.summary,
        "tags": [spec.scope],
        "security": _SECURITY[spec.scope],
        "parameters": _parameters(spec),
        "responses": responses,
    }
    if spec.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": refs[spec.body.__name__]}}},
        }
    return operation


def build_openapi() -> dict[str, Any]:
    """The whole document."""
    keys, defs = models_json_schema(
        [(model, "validation") for model in _models()],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    refs = {model.__name__: ref["$ref"] for (model, _), ref in keys.items()}
    paths: dict[str, dict[str, Any]] = {}
    for spec in ROUTES:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, refs)
    error_schema = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "wagen tenancy API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {**defs.get("$defs", {}), "Error": error_schema},
            "responses": {
                "Error": {
                    "description": "; ".join(f"{k}: {v}" for k, v in _ERRORS.items()),
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            },
            "securitySchemes": {
                "adminBearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "tenantJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    """``GET /openapi.json`` (public: it describes, it reveals nothing)."""
    return web.json_response(build_openapi())
