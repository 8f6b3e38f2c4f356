"""The OpenAPI paths of business rules, placements and catalog updates, merged by ``api.schema.openapi``
(their schemas are the models of ``api.schema.rule_models``)."""
from __future__ import annotations

from recommender.rules import PLACEMENT_PATTERN

from api.schema.limits import AUDIT_ENTITIES, MAX_AUDIT_PAGE, MAX_RULE_ID
from api.schema.parts import JSON, obj, op, ref, response, string

ADMIN = [{"bearer": []}]
WRITE_ERRORS = (400, 401, 403, 413)

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
                        "RulePatch", "patchRule", errors=(*WRITE_ERRORS, 404)),
        "delete": _write("Delete a rule", "rules", response("the deleted rule", ref("RuleDeleted")), ("rule_id",),
                         None, "deleteRule", errors=(401, 403, 404)),
    },
    "/v1/rules/audit": {"get": op(
        "Who changed which rule, placement or catalog item, when, from what to what (newest first)", "rules",
        response("one page of the audit log", ref("AuditPage")), ("audit_limit", "audit_before", "audit_entity"),
        (400, 401, 403), operation_id="ruleAudit", security=ADMIN)},
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
    "required": True, "content": {JSON: {"schema": ref("CatalogItemUpdate")}}}
