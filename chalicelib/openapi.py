"""OpenAPI 3.1 document built from the registered routes and their pydantic models."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from chalicelib.api import ROUTES, RouteSpec
from chalicelib.epoch import MS_NOTE

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}

ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing, invalid or revoked bearer token",
    403: "Not allowed",
    404: "Not found (also for another tenant's ids)",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Validation failed",
    429: "Rate limited; see Retry-After",
}


def _models(routes: list[RouteSpec]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for route in routes:
        for model in (route.body, route.response):
            if isinstance(model, type) and issubclass(model, BaseModel) and model not in found:
                found.append(model)
    return found


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _note_time_fields(schema: Any) -> None:
    """Every property named ``*_at`` is an epoch-ms time (the API's one unit): say so
    where the model did not already (``chalicelib.epoch.EpochMs`` does)."""
    if isinstance(schema, list):
        for item in schema:
            _note_time_fields(item)
        return
    if not isinstance(schema, dict):
        return
    named = dict(schema.get("properties") or {})
    if "in" in schema and str(schema.get("name", "")).endswith("_at"):  # a parameter
        named[schema["name"]] = schema
    for name, prop in named.items():
        if name.endswith("_at") and isinstance(prop, dict):
            text = prop.get("description", "")
            if MS_NOTE not in text:
                prop["description"] = f"{text} {MS_NOTE}".strip()
    for value in schema.values():
        _note_time_fields(value)


def operation_id(route: RouteSpec) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", f"{route.method} {route.path}".lower())
    return words.strip("_")


def build_document(title: str = "wacast API", version: str = "1") -> dict[str, Any]:
    routes = sorted(ROUTES, key=lambda r: (r.path, r.method))
    models = _models(routes)
    modes: tuple[Literal["validation"], Literal["serialization"]] = ("validation", "serialization")
    keys = [(model, mode) for model in models for mode in modes]
    mapping, definitions = models_json_schema(keys, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    paths: dict[str, Any] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "operationId": operation_id(route),
            "summary": route.summary,
            "tags": list(route.tags),
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in route.path_params
            ],
            "responses": {},
        }
        if route.query is not None:
            operation["parameters"] += _query_parameters(route.query)
        if route.auth:
            operation["security"] = [{"bearer": []}]
        if route.body is not None:
            operation["requestBody"] = {
                # An empty body reads as {}: optional when no field is required.
                "required": any(f.is_required() for f in route.body.model_fields.values()),
                "content": {"application/json": {"schema": mapping[(route.body, "validation")]}},
            }
        if route.response is None:
            operation["responses"][str(204 if route.status == 200 else route.status)] = {
                "description": "Done"
            }
        elif isinstance(route.response, type) and issubclass(route.response, BaseModel):
            operation["responses"][str(route.status)] = {
                "description": "OK",
                "content": {
                    "application/json": {"schema": mapping[(route.response, "serialization")]}
                },
            }
        else:
            schema = (
                TypeAdapter(route.response).json_schema()
                if route.response != "csv"
                else {"type": "string"}
            )
            operation["responses"][str(route.status)] = {
                "description": "OK",
                "content": {route.content_type: {"schema": schema}},
            }
        codes = set(route.errors) | {422} if route.body or route.query else set(route.errors)
        if route.auth:
            codes |= {401, 429}
        if route.admin:
            codes.add(403)
        for code in sorted(codes):
            operation["responses"][str(code)] = {
                "description": ERROR_TEXT.get(code, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    _note_time_fields(schemas)
    _note_time_fields(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
