"""``/openapi.json`` and ``/docs``: the API description, and a self-contained page rendered from it.

The page is plain server-rendered HTML with inline CSS (no scripts, no CDN), so it works on a
machine without internet access.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, render_template_string

from api.schema.openapi import build_spec

bp = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ info.title }}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#222}
h2{border-bottom:2px solid #ddd;padding-top:1rem} code{background:#f4f4f4;padding:0 .25em}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.method{display:inline-block;min-width:4em;font-weight:bold;color:#fff;border-radius:4px;padding:0 .4em;
text-align:center} .get{background:#2b7bb9} .post{background:#3a9a4a}
table{border-collapse:collapse;width:100%;margin:.4rem 0} td,th{border:1px solid #e3e3e3;padding:.2rem .5rem;
text-align:left;vertical-align:top} th{background:#fafafa} nav a{margin-right:1em}
</style></head><body>
<h1>{{ info.title }} <small>{{ info.version }}</small></h1>
<p>{{ info.description }}</p>
<p>Machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI {{ openapi }}).</p>
<nav>{% for tag in tags %}<a href="#{{ tag }}">{{ tag }}</a>{% endfor %}<a href="#schemas">schemas</a></nav>
{% for tag, ops in tags.items() %}<h2 id="{{ tag }}">{{ tag }}</h2>
{% for op in ops %}<div class="op" id="{{ op.id }}">
<p><span class="method {{ op.method }}">{{ op.method | upper }}</span> <code>{{ op.path }}</code> {{ op.summary }}
{% if op.secured %}<em>(needs <code>Authorization: Bearer &lt;VITRINE_ADMIN_TOKEN&gt;</code>)</em>{% endif %}</p>
{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>
{% for p in op.parameters %}<tr><td><code>{{ p.name }}</code>{% if p.required %} *{% endif %}</td><td>{{ p["in"] }}</td>
<td>{{ p.schema_text }}</td><td>{{ p.description or "" }}</td></tr>{% endfor %}</table>{% endif %}
{% if op.body %}<p>JSON body: <a href="#schema-{{ op.body }}">{{ op.body }}</a></p>{% endif %}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>{% for r in op.responses %}
<tr><td>{{ r.status }}</td><td>{{ r.description }}</td><td>{{ r.body }}</td></tr>{% endfor %}</table>
</div>{% endfor %}{% endfor %}
<h2 id="schemas">schemas</h2>
{% for name, rows in schemas.items() %}<h3 id="schema-{{ name }}">{{ name }}</h3>
<table><tr><th>field</th><th>schema</th><th>required</th><th>description</th></tr>{% for row in rows %}
<tr><td><code>{{ row.name }}</code></td><td>{{ row.schema }}</td><td>{{ "yes" if row.required else "" }}</td>
<td>{{ row.description }}</td></tr>{% endfor %}</table>{% endfor %}
</body></html>"""

_CONSTRAINTS = ("enum", "minimum", "maximum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
                "pattern", "format", "default", "nullable")


def schema_text(schema: dict[str, Any]) -> str:
    """A one-line summary of a schema: its type or reference plus its constraints."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "oneOf" in schema or "allOf" in schema:
        word = "one of" if "oneOf" in schema else "all of"
        return f"{word}: " + " | ".join(schema_text(part) for part in schema.get("oneOf", schema.get("allOf")))
    text = schema.get("type", "any")
    if text == "array":
        text = f"array of {schema_text(schema.get('items', {}))}"
    limits = [f"{key} {json.dumps(schema[key])}" for key in _CONSTRAINTS if key in schema]
    return f"{text} ({', '.join(limits)})" if limits else text


def _schema_rows(schema: dict[str, Any]) -> list[dict]:
    if "allOf" in schema:
        return [{"name": "(all of)", "schema": schema_text(schema), "required": True, "description": ""}]
    required = set(schema.get("required", []))
    return [{"name": name, "schema": schema_text(prop), "required": name in required,
             "description": prop.get("description", "")} for name, prop in schema.get("properties", {}).items()]


def _operations(spec: dict) -> dict[str, list[dict]]:
    parameters = spec["components"]["parameters"]
    tags: dict[str, list[dict]] = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            params = [dict(parameters[p["$ref"].rsplit("/", 1)[-1]]) for p in op["parameters"]]
            for param in params:
                param["schema_text"] = schema_text(param["schema"])
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = [{"status": status, "description": r["description"],
                          "body": " ".join(f"{media}: {schema_text(c['schema'])}" for media, c in
                                           r.get("content", {}).items())} for status, r in op["responses"].items()]
            tags.setdefault(op["tags"][0], []).append({
                "id": op["operationId"], "method": method, "path": path, "summary": op["summary"],
                "parameters": params, "body": schema_text(body) if body else None, "responses": responses,
                "secured": "security" in op})
    return tags


@bp.get("/openapi.json")
def openapi_json() -> dict:
    return build_spec()


@bp.get("/docs")
def docs_page() -> Response:
    spec = build_spec()
    schemas = {name: _schema_rows(schema) for name, schema in spec["components"]["schemas"].items()}
    html = render_template_string(PAGE, info=spec["info"], openapi=spec["openapi"], tags=_operations(spec),
                                  schemas=schemas)
    return Response(html, mimetype="text/html")
