"""The OpenAPI part of business rules, placements and catalog updates, merged by ``api.schema.openapi``."""
from __future__ import annotations

from recommender.rules import ACTIONS, OPS, PLACEMENT_PATTERN
from recommender.rules.definitions import MAX_NAME_LENGTH, MAX_PINS, MAX_PRIORITY, SETTING_FIELDS

from api.rules.catalog_upload import MAX_ITEMS
from api.rules.changes import MAX_RULE_ID
from api.schema.parts import JSON, obj, op, ref, response, string
from api.routes.rules import AUDIT_ENTITIES, MAX_AUDIT_PAGE
from api.rules.preview import KINDS

ADMIN = [{"bearer": []}]
WRITE_ERRORS = (400, 401, 403, 413)
DATE_TIME = string("ISO 8601 with a time zone", format="date-time", nullable=True)
SCALAR = {"description": "a string, number or boolean", "oneOf": [{"type": "string"}, {"type": "number"},
                                                                 {"type": "boolean"}]}
ATTRIBUTES = {"type": "object", "description": "column: value (string, number, boolean or null)",
              "additionalProperties": {"nullable": True, **SCALAR}}
SETTINGS = {
    "exclude_out_of_stock": {"type": "boolean", "default": True},
    "exclude_purchased": {"type": "boolean", "default": True,
                          "description": "leave out what the user bought (the request's exclude_purchased too)"},
    "repurchase_after_days": {"type": "number", "nullable": True, "exclusiveMinimum": True, "minimum": 0,
                              "maximum": 36500, "description": "purchases at least this old come back (null: never)"},
    "max_per_category": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 100},
    "min_price": {"type": "number", "nullable": True, "minimum": 0},
    "max_price": {"type": "number", "nullable": True, "minimum": 0},
}
RULE_FIELDS = {
    "name": string(minLength=1, maxLength=MAX_NAME_LENGTH),
    "enabled": {"type": "boolean", "default": True},
    "placements": {"type": "array", "items": string(pattern=PLACEMENT_PATTERN), "description": "[] = every placement"},
    "audience": string("known, anonymous or a customer segment; null = everyone", nullable=True),
    "action": string(enum=list(ACTIONS)),
    "factor": {"type": "number", "nullable": True, "exclusiveMinimum": True, "minimum": 0,
               "description": "boost: > 1, bury: between 0 and 1"},
    "item_ids": {"type": "array", "items": string(minLength=1), "maxItems": MAX_PINS, "description": "pin only"},
    "positions": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_PINS},
                  "maxItems": MAX_PINS, "description": "pin only: 1-based, one per item id"},
    "starts_at": DATE_TIME, "ends_at": DATE_TIME,
    "priority": {"type": "integer", "minimum": -MAX_PRIORITY, "maximum": MAX_PRIORITY, "default": 0},
}
STORED = {"id": {"type": "integer"}, "created_at": string(format="date-time"),
          "updated_at": string(format="date-time")}

RULE_SCHEMAS: dict[str, dict] = {
    "Condition": {"description": "a comparison, or all / any of several conditions",
                  "oneOf": [ref("Comparison"), ref("AllOf"), ref("AnyOf")]},
    "Comparison": obj({"field": string("a catalog column", minLength=1), "op": string(enum=list(OPS)),
                        "value": {"description": "a string, number or boolean; an array of them for in, not_in",
                                  "oneOf": [*SCALAR["oneOf"], {"type": "array", "items": SCALAR, "minItems": 1}]}},
                       ("field", "op", "value"), additionalProperties=False),
    "AllOf": obj({"all": {"type": "array", "items": ref("Condition"), "minItems": 1}}, ("all",),
                  additionalProperties=False),
    "AnyOf": obj({"any": {"type": "array", "items": ref("Condition"), "minItems": 1}}, ("any",),
                  additionalProperties=False),
    "RuleInput": obj({**RULE_FIELDS, "condition": ref("Condition")}, ("name", "action")),
    "Rule": obj({**STORED, **RULE_FIELDS, "condition": {"type": "object", "nullable": True,
                                                         "description": "a Condition; null for pins"}},
                 ("id", *RULE_FIELDS, "condition", "created_at", "updated_at")),
    "RuleList": obj({"rules": {"type": "array", "items": ref("Rule")},
                      "version": {"type": "integer", "description": "the store's change counter"}},
                     ("rules", "version")),
    "RuleDeleted": obj({"deleted": ref("Rule")}, ("deleted",)),
    "AuditEntry": obj({"id": {"type": "integer"}, "at": string(format="date-time"), "actor": string(),
                        "action": string(enum=["create", "update", "delete"]),
                        "entity": string(enum=list(AUDIT_ENTITIES)),
                        "entity_id": string(nullable=True), "before": {"nullable": True}, "after": {"nullable": True}},
                       ("id", "at", "actor", "action", "entity", "entity_id", "before", "after")),
    "AuditPage": obj({"entries": {"type": "array", "items": ref("AuditEntry")},
                       "next_before": {"type": "integer", "nullable": True,
                                       "description": "pass as before for the next page; null on the last"}},
                      ("entries", "next_before")),
    "PlacementSettings": obj(SETTINGS, additionalProperties=False),
    "Placement": obj({"name": string(), **SETTINGS,
                       "source": string("whose settings apply", enum=["own", "default", "built_in"])},
                      ("name", *SETTING_FIELDS, "source")),
    "PlacementList": obj({"placements": {"type": "array", "items": {"type": "object"}},
                           "defaults": {"type": "object"}}, ("placements", "defaults")),
    "CatalogItem": obj({"item_id": string(), "attributes": ATTRIBUTES, "updates": ATTRIBUTES,
                         "in_model": {"type": "boolean"}}, ("item_id", "attributes", "updates", "in_model")),
    "CatalogItemUpdated": obj({"item_id": string(), "updates": ATTRIBUTES}, ("item_id", "updates")),
    "CatalogBulkRequest": obj({"items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": {
        "type": "object", "required": ["item_id"], "additionalProperties": {"nullable": True, **SCALAR},
        "properties": {"item_id": string(minLength=1, maxLength=256)}}}}, ("items",)),
    "CatalogBulkAnswer": obj({"updated": {"type": "integer"}, "unknown_to_model": {"type": "integer"},
                               "version": {"type": "integer"}}, ("updated", "unknown_to_model", "version")),
    "PreviewRequest": obj({
        "rule": ref("RuleInput"),
        "rule_id": {"type": "integer", "minimum": 1, "maximum": MAX_RULE_ID,
                    "description": "preview the draft in place of this stored rule"},
        "request": obj({"kind": string(enum=list(KINDS))}, ("kind",),
                        description="a sample request: kind plus that kind's fields (user_id, session, item_id, "
                                    "items, category, trending, n, placement, exclude_purchased)"),
    }, ("rule", "request")),
    "PreviewAnswer": obj({"rule": {"type": "object"}, "before": {"type": "object"}, "after": {"type": "object"}},
                          ("rule", "before", "after")),
}

RULE_PARAMETERS: dict[str, dict] = {
    "debug": {"name": "debug", "in": "query", "description": "add to each item the business rules that acted on it",
              "schema": {"type": "boolean", "default": False}},
    "rule_id": {"name": "rule_id", "in": "path", "required": True,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RULE_ID}},
    "placement_name": {"name": "name", "in": "path", "required": True, "description": "default: every placement "
                       "without settings of its own", "schema": string(pattern=PLACEMENT_PATTERN)},
    "audit_limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": MAX_AUDIT_PAGE, "default": 100}},
    "audit_before": {"name": "before", "in": "query", "description": "only entries older than this id",
                     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RULE_ID}},
    "audit_entity": {"name": "entity", "in": "query", "schema": string(enum=list(AUDIT_ENTITIES))},
}


def _write(summary: str, tag: str, ok: dict, params: tuple[str, ...], body: str | None, operation_id: str,
           status: str = "200", errors: tuple[int, ...] = WRITE_ERRORS) -> dict:
    operation = op(summary, tag, ok, params, errors, body, operation_id=operation_id, security=ADMIN)
    if status != "200":
        operation["responses"] = {status: operation["responses"].pop("200"), **operation["responses"]}
    return operation


def _bulk_body() -> dict:
    csv = {"type": "string", "description": "CSV: a header with item_id and the columns to change"}
    return {"required": True, "content": {JSON: {"schema": ref("CatalogBulkRequest")}, "text/csv": {"schema": csv},
                                          "multipart/form-data": {"schema": obj({"file": string(format="binary")},
                                                                                 ("file",))}}}


RULE = response("the rule as stored", ref("Rule"))
POST_ITEMS = _write("Update the attributes of many items (JSON, or CSV as the body or an uploaded file)", "catalog",
                    response("how many items changed", ref("CatalogBulkAnswer")), (), None, "updateCatalogItems")
POST_ITEMS["requestBody"] = _bulk_body()

RULE_PATHS: dict[str, dict] = {
    "/v1/rules": {
        "get": op("Every stored rule", "rules", response("the rules", ref("RuleList")), operation_id="listRules"),
        "post": _write("Create a rule (checked against the catalog first)", "rules", RULE, (), "RuleInput",
                       "createRule", "201"),
    },
    "/v1/rules/{rule_id}": {
        "get": op("One rule", "rules", RULE, ("rule_id",), (404,), operation_id="getRule"),
        "put": _write("Replace a rule", "rules", RULE, ("rule_id",), "RuleInput", "replaceRule",
                      errors=(*WRITE_ERRORS, 404)),
        "patch": _write("Change some fields of a rule (null clears an optional one)", "rules", RULE, ("rule_id",),
                        "RuleInput", "patchRule", errors=(*WRITE_ERRORS, 404)),
        "delete": _write("Delete a rule", "rules", response("the deleted rule", ref("RuleDeleted")), ("rule_id",),
                         None, "deleteRule", errors=(401, 403, 404)),
    },
    "/v1/rules/audit": {"get": op(
        "Who changed which rule, placement or catalog item, when, from what to what (newest first)", "rules",
        response("one page of the audit log", ref("AuditPage")), ("audit_limit", "audit_before", "audit_entity"),
        (400,), operation_id="ruleAudit")},
    "/v1/rules/preview": {"post": _write(
        "A sample request answered before and after a draft rule; nothing is stored", "rules",
        response("both lists, each item with the rules that acted on it", ref("PreviewAnswer")), (),
        "PreviewRequest", "previewRule", errors=(*WRITE_ERRORS, 404, 503))},
    "/v1/placements": {"get": op("Placements with settings of their own, and the built-in defaults", "placements",
                                  response("stored settings", ref("PlacementList")), operation_id="listPlacements")},
    "/v1/placements/{name}": {
        "get": op("The settings that apply to a placement", "placements", response("settings", ref("Placement")),
                   ("placement_name",), (400, 404), operation_id="getPlacement"),
        "put": _write("Replace a placement's settings (fields left out take their defaults)", "placements",
                      response("the stored settings", ref("Placement")), ("placement_name",), "PlacementSettings",
                      "putPlacement", errors=(*WRITE_ERRORS, 404)),
    },
    "/v1/catalog/items": {"post": POST_ITEMS},
    "/v1/catalog/items/{item_id}": {
        "get": op("An item's attributes as rules see them", "catalog", response("attributes", ref("CatalogItem")),
                   ("item_id",), (404,), operation_id="getCatalogItem"),
        "put": _write("Set some attributes of one item (stock, price, any column)", "catalog",
                      response("the item's stored updates", ref("CatalogItemUpdated")), ("item_id",), None,
                      "putCatalogItem", errors=(*WRITE_ERRORS, 404)),
    },
}
RULE_PATHS["/v1/catalog/items/{item_id}"]["put"]["requestBody"] = {
    "required": True, "content": {JSON: {"schema": ATTRIBUTES}}}
