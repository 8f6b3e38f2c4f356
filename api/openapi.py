"""The OpenAPI 3 description of the service, built as data from the same limits the checks use."""
from __future__ import annotations

from typing import Any

from recommender.lifecycle import STAGES
from recommender.live_segments import LIVE_SEGMENTS
from recommender.predictions import PREDICTIONS
from recommender.profiles import AUDIENCES

from . import validation as v

VERSION = "1.0.0"
JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


def _string(description: str = "", **extra: Any) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **extra}


ID = _string(minLength=1, maxLength=v.MAX_ID_LENGTH)
NULLABLE_OBJECT = {"type": "object", "nullable": True}
PLACEMENT = _string("where the list is shown: home, product, cart, email, ...", pattern=v.PLACEMENT_PATTERN,
                    nullable=True)

NUMBER_OR_NULL = {"type": "number", "nullable": True}
COUNT = {"type": "integer", "minimum": 0}
STAGE = _string("lifecycle stage", enum=list(STAGES))
LIVE = {"type": "array", "items": _string(enum=list(LIVE_SEGMENTS)), "description": "live segments the customer is in"}
CUSTOMER_SCHEMAS: dict[str, dict] = {
    "Profile": _obj({
        "user_id": _string(), "stage": STAGE, "segments": LIVE,
        "rfm": _obj({"recency_days": {**COUNT, "nullable": True}, "frequency": {**COUNT, "description": "orders"},
                     "monetary": {"type": "number", "description": "net spend"}, "purchase_days": COUNT,
                     "r_score": {"type": "integer", "minimum": 0, "maximum": 5},
                     "f_score": {"type": "integer", "minimum": 0, "maximum": 5},
                     "m_score": {"type": "integer", "minimum": 0, "maximum": 5}, "code": _string("R, F and M scores")},
                    ("recency_days", "frequency", "monetary", "purchase_days", "r_score", "f_score", "m_score",
                     "code")),
        "predictions": _obj({name: NUMBER_OR_NULL for name in PREDICTIONS}, PREDICTIONS),
        "last_purchase": _string(format="date-time", nullable=True),
        "browsing_interest": _string("category viewed repeatedly without buying", nullable=True),
        "favourite_categories": {"type": "array", "items": _string()}, "model_version": _string(),
    }, ("user_id", "stage", "segments", "rfm", "predictions", "last_purchase", "browsing_interest",
        "favourite_categories", "model_version")),
    "SegmentMetrics": _obj({
        "name": _string(enum=list(AUDIENCES)), "kind": _string(enum=["stage", "live"]), "customers": COUNT,
        "customer_share": NUMBER_OR_NULL, "revenue": {"type": "number"}, "revenue_share": NUMBER_OR_NULL,
        "orders": COUNT, "average_order_value": NUMBER_OR_NULL, "value_per_customer": NUMBER_OR_NULL,
        "predicted_value_12m": NUMBER_OR_NULL, "predicted_value_12m_total": NUMBER_OR_NULL,
        "top_items": {"type": "array", "items": _obj({"item_id": _string(), "title": _string()}, ("item_id", "title"))},
        "top_categories": {"type": "array", "items": _string()},
    }, ("name", "kind", "customers", "revenue", "orders", "top_items", "top_categories")),
    "Segments": _obj({"as_of": _string(format="date"), "segments": {"type": "array", "items": _ref("SegmentMetrics")},
                      "store": {"type": "object"}, "key_moment": {"type": "object"},
                      "predictions": {"type": "object", "description": "fitted BG/NBD and Gamma-Gamma parameters"},
                      "definitions": {"type": "object", "description": "the stage rules' settings"},
                      "model_version": _string()},
                     ("as_of", "segments", "store", "key_moment", "predictions", "definitions", "model_version")),
    "CustomerCard": _obj({"user_id": _string(), "stage": STAGE, "segments": LIVE,
                          "recency_days": {**COUNT, "nullable": True}, "orders": COUNT, "spend": {"type": "number"},
                          "p_buy_30d": NUMBER_OR_NULL, "p_buy_90d": NUMBER_OR_NULL,
                          "predicted_value_12m": NUMBER_OR_NULL},
                         ("user_id", "stage", "segments", "recency_days", "orders", "spend", "p_buy_30d", "p_buy_90d",
                          "predicted_value_12m")),
    "SegmentUsers": _obj({"segment": _string(), "total": COUNT,
                          "users": {"type": "array", "items": _ref("CustomerCard")},
                          "next_cursor": _string("pass as cursor for the next page; null on the last page",
                                                 nullable=True),
                          "model_version": _string()}, ("segment", "total", "users", "next_cursor", "model_version")),
}

SCHEMAS: dict[str, dict] = {
    "Error": _obj({"error": _obj({"code": _string("stable machine-readable code"), "message": _string(),
                                  "field": _string("the parameter or body field at fault")},
                                 ("code", "message"))}, ("error",)),
    "Item": _obj({"item_id": _string(), "score": {"type": "number"}, "title": _string(), "category": _string(),
                  "price": {"type": "number", "nullable": True, "description": "catalog price, null if unknown"},
                  "reason": _string("a short explanation a widget can show"),
                  "rules": {"type": "array", "description": "with debug=true: the business rules that acted on the "
                            "item", "items": _obj({"id": {"type": "integer"}, "name": _string(),
                                                   "action": _string()}, ("id", "name", "action"))}},
                 ("item_id", "score", "title", "category", "price", "reason")),
    "ListAnswer": _obj({"items": {"type": "array", "items": _ref("Item")},
                        "strategy": _string("personalized, session, popular_fallback, related, bought_together, "
                                            "popular or trending"),
                        "model_version": _string()}, ("items", "strategy", "model_version")),
    "Partner": {"allOf": [_ref("Item"), _obj({"support": {"type": "number"}, "confidence": {"type": "number"},
                                              "lift": {"type": "number"}}, ("support", "confidence", "lift"))]},
    "BoughtTogetherAnswer": _obj({"items": {"type": "array", "items": _ref("Partner")}, "strategy": _string(),
                                  "model_version": _string()}, ("items", "strategy", "model_version")),
    "SimilarUsers": _obj({"user_id": _string(), "model_version": _string(),
                          "users": {"type": "array", "items": _obj({"user_id": _string(),
                                                                    "similarity": {"type": "number"}},
                                                                   ("user_id", "similarity"))}},
                         ("user_id", "users", "model_version")),
    "BatchLine": {"allOf": [_obj({"user_id": _string()}, ("user_id",)), _ref("ListAnswer")]},
    "SessionEvent": _obj({
        "item_id": ID,
        "event": _string("aliases: addtocart, add_to_cart (cart); transaction, order (purchase)",
                         enum=list(v.EVENT_ALIASES)),
        "timestamp": {"description": "ISO 8601 (UTC if no zone) or epoch seconds (milliseconds from 1e11)",
                      "oneOf": [_string(format="date-time"),
                                {"type": "number", "minimum": 0, "maximum": v.MAX_EPOCH, "exclusiveMaximum": True}]},
    }, ("item_id", "event")),
    "SessionRequest": _obj({
        "user_id": {**ID, "nullable": True, "description": "a known customer, or null for an anonymous visitor"},
        "session": {"type": "array", "items": _ref("SessionEvent"), "maxItems": v.MAX_SESSION_EVENTS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT, "exclude_purchased": {"type": "boolean", "default": True},
    }),
    "CartRequest": _obj({
        "items": {"type": "array", "items": ID, "maxItems": v.MAX_CART_ITEMS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT,
    }, ("items",)),
    "BatchRequest": _obj({
        "user_ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": v.MAX_BATCH_USERS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT, "exclude_purchased": {"type": "boolean", "default": True},
    }, ("user_ids",)),
    "Health": _obj({"status": _string(enum=["ok"])}, ("status",)),
    "Ready": _obj({"status": _string(enum=["ready"]), "model_version": _string(),
                   "refused": {**NULLABLE_OBJECT, "description": "a newer version that was refused, if any"}},
                  ("status", "model_version", "refused")),
    "ModelInfo": _obj({"version": _string(), "loaded_at": _string(format="date-time"),
                       "trained_at": _string(nullable=True), "data_end": _string(nullable=True),
                       "data": NULLABLE_OBJECT, "metrics": NULLABLE_OBJECT, "scoring": NULLABLE_OBJECT,
                       "blend": NULLABLE_OBJECT, "refused": NULLABLE_OBJECT},
                      ("version", "loaded_at", "refused")),
    "ReloadAnswer": _obj({"model_version": _string(), "previous_version": _string(nullable=True),
                          "changed": {"type": "boolean"}}, ("model_version", "previous_version", "changed")),
    **CUSTOMER_SCHEMAS,
}

PARAMETERS: dict[str, dict] = {
    "n": {"name": "n", "in": "query", "description": f"number of answers, 1 to {v.MAX_N}",
          "schema": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N}},
    "placement": {"name": "placement", "in": "query", "description": "where the list is shown: home, product, "
                  "cart, email, ... (passed to the business rules)",
                  "schema": _string(pattern=v.PLACEMENT_PATTERN)},
    "exclude_purchased": {"name": "exclude_purchased", "in": "query", "description": "leave out items the user "
                          "bought", "schema": {"type": "boolean", "default": True}},
    "category": {"name": "category", "in": "query", "description": "only this category",
                 "schema": _string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
    "trending": {"name": "trending", "in": "query", "description": "rank by recent rather than overall popularity",
                 "schema": {"type": "boolean", "default": False}},
    "user_id": {"name": "user_id", "in": "path", "required": True, "schema": _string(minLength=1)},
    "item_id": {"name": "item_id", "in": "path", "required": True, "schema": _string(minLength=1)},
    "segment": {"name": "name", "in": "path", "required": True, "description": "a lifecycle stage or live segment",
                "schema": _string(enum=list(AUDIENCES))},
    "limit": {"name": "limit", "in": "query", "description": f"page size, 1 to {v.MAX_LIMIT:,}",
              "schema": {"type": "integer", "minimum": 1, "maximum": v.MAX_LIMIT, "default": v.DEFAULT_LIMIT}},
    "cursor": {"name": "cursor", "in": "query", "description": "next_cursor of the previous page",
               "schema": _string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
}


def _response(description: str, schema: dict | None = None, media: str = JSON) -> dict:
    return {"description": description, **({"content": {media: {"schema": schema}}} if schema else {})}


def _errors(*statuses: int) -> dict:
    meaning = {400: "invalid parameter or body", 401: "missing bearer token", 403: "wrong token or admin disabled",
               404: "unknown id or path", 409: "the new version was refused; the old one keeps serving",
               413: "request body too large", 503: "no model version loaded yet"}
    return {str(status): _response(meaning[status], _ref("Error")) for status in statuses}


def _op(summary: str, tag: str, ok: dict, params: tuple[str, ...] = (), errors: tuple[int, ...] = (),
        body: str | None = None, *, operation_id: str, security: list | None = None) -> dict:
    operation = {"summary": summary, "tags": [tag], "operationId": operation_id,
                 "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
                 "responses": {"200": ok, **_errors(*errors)}}
    if security is not None:
        operation["security"] = security
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
    return operation


LIST = _response("ranked items", _ref("ListAnswer"))
READ_ERRORS = (400, 404, 503)
BODY_ERRORS = (400, 413, 503)
SEGMENT_USERS = _op("The customers of a segment, highest predicted value first, paged", "customers",
                    _response("one page of customers", _ref("SegmentUsers")), ("segment", "limit", "cursor"),
                    READ_ERRORS, operation_id="segmentUsers")
SEGMENT_USERS["responses"]["409"] = _response("the cursor was made for a model version no longer served: start again",
                                              _ref("Error"))

PATHS: dict[str, dict] = {
    "/v1/users/{user_id}/recommendations": {"get": _op(
        "Personalized picks (unknown users get popular items)", "users", LIST,
        ("user_id", "n", "placement", "exclude_purchased", "debug"), READ_ERRORS, operation_id="userRecommendations")},
    "/v1/users/{user_id}/similar-users": {"get": _op(
        "Nearest customers by taste", "users", _response("similar users", _ref("SimilarUsers")),
        ("user_id", "n"), READ_ERRORS, operation_id="similarUsers")},
    "/v1/recommendations": {"post": _op(
        "Picks for a live session or anonymous visitor", "sessions", LIST, ("debug",), BODY_ERRORS, "SessionRequest",
        operation_id="sessionRecommendations")},
    "/v1/recommendations/batch": {"post": _op(
        "Picks for up to 10,000 users, one JSON line per user", "batch",
        _response("one BatchLine per user, in request order", _ref("BatchLine"), "application/x-ndjson"),
        (), BODY_ERRORS, "BatchRequest", operation_id="batchRecommendations")},
    "/v1/items/{item_id}/related": {"get": _op(
        "Related products", "items", LIST, ("item_id", "n", "placement", "debug"), READ_ERRORS,
        operation_id="relatedItems")},
    "/v1/items/{item_id}/bought-together": {"get": _op(
        "Products bought in the same order, with support, confidence and lift", "items",
        _response("association-rule partners", _ref("BoughtTogetherAnswer")), ("item_id", "n", "placement", "debug"),
        READ_ERRORS,
        operation_id="boughtTogether")},
    "/v1/cart/complements": {"post": _op(
        "Complements for a whole basket", "cart", LIST, ("debug",), BODY_ERRORS, "CartRequest",
        operation_id="cartComplements")},
    "/v1/popular": {"get": _op(
        "Best sellers, overall or per category, optionally trending", "popular", LIST,
        ("n", "category", "trending", "placement", "debug"), READ_ERRORS, operation_id="popular")},
    "/v1/users/{user_id}/profile": {"get": _op(
        "A customer's stage, live segments, RFM scores, predictions and favourite categories", "customers",
        _response("the customer's profile", _ref("Profile")), ("user_id",), READ_ERRORS, operation_id="userProfile")},
    "/v1/segments": {"get": _op(
        "Every lifecycle stage and live segment with its metrics", "customers",
        _response("segments, store figures and the key moment", _ref("Segments")), (), (404, 503),
        operation_id="segments")},
    "/v1/segments/{name}/users": {"get": SEGMENT_USERS},
    "/v1/report": {"get": _op(
        "The lifecycle report: revenue by stage, repurchase intervals, cohorts, stage sizes (HTML, inline SVG)",
        "customers", _response("HTML page", _string(), "text/html"), (), (404, 503), operation_id="report")},
    "/v1/model": {"get": _op("The served model version", "health", _response("version, data stats and metrics",
                                                                             _ref("ModelInfo")), (), (503,),
                             operation_id="model")},
    "/v1/admin/reload": {"post": _op(
        "Load the version models/CURRENT names now", "admin", _response("the version now served",
                                                                        _ref("ReloadAnswer")),
        (), (401, 403, 409), operation_id="reload", security=[{"bearer": []}])},
    "/healthz": {"get": _op("Liveness", "health", _response("alive", _ref("Health")), operation_id="healthz")},
    "/readyz": {"get": _op("Readiness: 503 until a model is loaded", "health", _response("ready", _ref("Ready")),
                           (), (503,), operation_id="readyz")},
    "/metrics": {"get": _op("Prometheus metrics", "health", _response("text exposition format", _string(),
                                                                      "text/plain"), operation_id="metrics")},
    "/openapi.json": {"get": _op("This document", "docs", _response("OpenAPI 3 document", {"type": "object"}),
                                 operation_id="openapi")},
    "/docs": {"get": _op("This document as a browsable page", "docs", _response("HTML page", _string(),
                                                                                 "text/html"), operation_id="docs")},
}


def build_spec() -> dict:
    from .openapi_rules import RULE_PARAMETERS, RULE_PATHS, RULE_SCHEMAS  # it builds on the helpers above

    return {
        "openapi": "3.0.3",
        "info": {"title": "Vitrine recommendations API", "version": VERSION,
                 "description": "Product recommendations for online stores. Every error is "
                                "{\"error\": {\"code\", \"message\", \"field\"?}}."},
        "paths": {**PATHS, **RULE_PATHS},
        "components": {"schemas": {**SCHEMAS, **RULE_SCHEMAS}, "parameters": {**PARAMETERS, **RULE_PARAMETERS},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "VITRINE_ADMIN_TOKEN"}}},
    }
