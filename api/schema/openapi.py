"""The OpenAPI 3 description of the service, built as data from the same limits the checks use."""
from __future__ import annotations

from typing import Any

from recommender.lifecycle import STAGES
from recommender.live_segments import LIVE_SEGMENTS
from recommender.predictions import PREDICTIONS
from recommender.profiles import AUDIENCES

from api.schema import validation as v
from api.schema.openapi_rules import RULE_PARAMETERS, RULE_PATHS, RULE_SCHEMAS
from api.schema.parts import JSON, obj, op, ref, response, string

VERSION = "1.0.0"

ID = string(minLength=1, maxLength=v.MAX_ID_LENGTH)
NULLABLE_OBJECT = {"type": "object", "nullable": True}
PLACEMENT = string("where the list is shown: home, product, cart, email, ...", pattern=v.PLACEMENT_PATTERN,
                    nullable=True)

NUMBER_OR_NULL = {"type": "number", "nullable": True}
COUNT = {"type": "integer", "minimum": 0}
STAGE = string("lifecycle stage", enum=list(STAGES))
LIVE = {"type": "array", "items": string(enum=list(LIVE_SEGMENTS)), "description": "live segments the customer is in"}
CUSTOMER_SCHEMAS: dict[str, dict] = {
    "Profile": obj({
        "user_id": string(), "stage": STAGE, "segments": LIVE,
        "rfm": obj({"recency_days": {**COUNT, "nullable": True}, "frequency": {**COUNT, "description": "orders"},
                     "monetary": {"type": "number", "description": "net spend"}, "purchase_days": COUNT,
                     "r_score": {"type": "integer", "minimum": 0, "maximum": 5},
                     "f_score": {"type": "integer", "minimum": 0, "maximum": 5},
                     "m_score": {"type": "integer", "minimum": 0, "maximum": 5}, "code": string("R, F and M scores")},
                    ("recency_days", "frequency", "monetary", "purchase_days", "r_score", "f_score", "m_score",
                     "code")),
        "predictions": obj({name: NUMBER_OR_NULL for name in PREDICTIONS}, PREDICTIONS),
        "last_purchase": string(format="date-time", nullable=True),
        "browsing_interest": string("category viewed repeatedly without buying", nullable=True),
        "favourite_categories": {"type": "array", "items": string()}, "model_version": string(),
    }, ("user_id", "stage", "segments", "rfm", "predictions", "last_purchase", "browsing_interest",
        "favourite_categories", "model_version")),
    "SegmentMetrics": obj({
        "name": string(enum=list(AUDIENCES)), "kind": string(enum=["stage", "live"]), "customers": COUNT,
        "customer_share": NUMBER_OR_NULL, "revenue": {"type": "number"}, "revenue_share": NUMBER_OR_NULL,
        "orders": COUNT, "average_order_value": NUMBER_OR_NULL, "value_per_customer": NUMBER_OR_NULL,
        "predicted_value_12m": NUMBER_OR_NULL, "predicted_value_12m_total": NUMBER_OR_NULL,
        "top_items": {"type": "array", "items": obj({"item_id": string(), "title": string()}, ("item_id", "title"))},
        "top_categories": {"type": "array", "items": string()},
    }, ("name", "kind", "customers", "revenue", "orders", "top_items", "top_categories")),
    "Segments": obj({"as_of": string(format="date"), "segments": {"type": "array", "items": ref("SegmentMetrics")},
                      "store": {"type": "object"}, "key_moment": {"type": "object"},
                      "predictions": {"type": "object", "description": "fitted BG/NBD and Gamma-Gamma parameters"},
                      "definitions": {"type": "object", "description": "the stage rules' settings"},
                      "model_version": string()},
                     ("as_of", "segments", "store", "key_moment", "predictions", "definitions", "model_version")),
    "CustomerCard": obj({"user_id": string(), "stage": STAGE, "segments": LIVE,
                          "recency_days": {**COUNT, "nullable": True}, "orders": COUNT, "spend": {"type": "number"},
                          "p_buy_30d": NUMBER_OR_NULL, "p_buy_90d": NUMBER_OR_NULL,
                          "predicted_value_12m": NUMBER_OR_NULL},
                         ("user_id", "stage", "segments", "recency_days", "orders", "spend", "p_buy_30d", "p_buy_90d",
                          "predicted_value_12m")),
    "SegmentUsers": obj({"segment": string(), "total": COUNT,
                          "users": {"type": "array", "items": ref("CustomerCard")},
                          "next_cursor": string("pass as cursor for the next page; null on the last page",
                                                 nullable=True),
                          "model_version": string()}, ("segment", "total", "users", "next_cursor", "model_version")),
}

SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({"code": string("stable machine-readable code"), "message": string(),
                                  "field": string("the parameter or body field at fault")},
                                 ("code", "message"))}, ("error",)),
    "Item": obj({"item_id": string(), "score": {"type": "number"}, "title": string(), "category": string(),
                  "price": {"type": "number", "nullable": True, "description": "catalog price, null if unknown"},
                  "reason": string("a short explanation a widget can show"),
                  "rules": {"type": "array", "description": "with debug=true: the business rules that acted on the "
                            "item", "items": obj({"id": {"type": "integer"}, "name": string(),
                                                   "action": string()}, ("id", "name", "action"))}},
                 ("item_id", "score", "title", "category", "price", "reason")),
    "ListAnswer": obj({"items": {"type": "array", "items": ref("Item")},
                        "strategy": string("personalized, session, popular_fallback, related, bought_together, "
                                            "popular or trending"),
                        "model_version": string()}, ("items", "strategy", "model_version")),
    "Partner": {"allOf": [ref("Item"), obj({"support": {"type": "number"}, "confidence": {"type": "number"},
                                              "lift": {"type": "number"}}, ("support", "confidence", "lift"))]},
    "BoughtTogetherAnswer": obj({"items": {"type": "array", "items": ref("Partner")}, "strategy": string(),
                                  "model_version": string()}, ("items", "strategy", "model_version")),
    "SimilarUsers": obj({"user_id": string(), "model_version": string(),
                          "users": {"type": "array", "items": obj({"user_id": string(),
                                                                    "similarity": {"type": "number"}},
                                                                   ("user_id", "similarity"))}},
                         ("user_id", "users", "model_version")),
    "BatchLine": {"allOf": [obj({"user_id": string()}, ("user_id",)), ref("ListAnswer")]},
    "SessionEvent": obj({
        "item_id": ID,
        "event": string("aliases: addtocart, add_to_cart (cart); transaction, order (purchase)",
                         enum=list(v.EVENT_ALIASES)),
        "timestamp": {"description": "ISO 8601 (UTC if no zone) or epoch seconds (milliseconds from 1e11)",
                      "oneOf": [string(format="date-time"),
                                {"type": "number", "minimum": 0, "maximum": v.MAX_EPOCH, "exclusiveMaximum": True}]},
    }, ("item_id", "event")),
    "SessionRequest": obj({
        "user_id": {**ID, "nullable": True, "description": "a known customer, or null for an anonymous visitor"},
        "session": {"type": "array", "items": ref("SessionEvent"), "maxItems": v.MAX_SESSION_EVENTS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT, "exclude_purchased": {"type": "boolean", "default": True},
    }),
    "CartRequest": obj({
        "items": {"type": "array", "items": ID, "maxItems": v.MAX_CART_ITEMS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT,
    }, ("items",)),
    "BatchRequest": obj({
        "user_ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": v.MAX_BATCH_USERS},
        "n": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N},
        "placement": PLACEMENT, "exclude_purchased": {"type": "boolean", "default": True},
    }, ("user_ids",)),
    "Health": obj({"status": string(enum=["ok"])}, ("status",)),
    "Ready": obj({"status": string(enum=["ready"]), "model_version": string(),
                   "refused": {**NULLABLE_OBJECT, "description": "a newer version that was refused, if any"}},
                  ("status", "model_version", "refused")),
    "ModelInfo": obj({"version": string(), "loaded_at": string(format="date-time"),
                       "trained_at": string(nullable=True), "data_end": string(nullable=True),
                       "data": NULLABLE_OBJECT, "metrics": NULLABLE_OBJECT, "scoring": NULLABLE_OBJECT,
                       "blend": NULLABLE_OBJECT, "refused": NULLABLE_OBJECT},
                      ("version", "loaded_at", "refused")),
    "ReloadAnswer": obj({"model_version": string(), "previous_version": string(nullable=True),
                          "changed": {"type": "boolean"}}, ("model_version", "previous_version", "changed")),
    **CUSTOMER_SCHEMAS,
}

PARAMETERS: dict[str, dict] = {
    "n": {"name": "n", "in": "query", "description": f"number of answers, 1 to {v.MAX_N}",
          "schema": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N}},
    "placement": {"name": "placement", "in": "query", "description": "where the list is shown: home, product, "
                  "cart, email, ... (passed to the business rules)",
                  "schema": string(pattern=v.PLACEMENT_PATTERN)},
    "exclude_purchased": {"name": "exclude_purchased", "in": "query", "description": "leave out items the user "
                          "bought", "schema": {"type": "boolean", "default": True}},
    "category": {"name": "category", "in": "query", "description": "only this category",
                 "schema": string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
    "trending": {"name": "trending", "in": "query", "description": "rank by recent rather than overall popularity",
                 "schema": {"type": "boolean", "default": False}},
    "user_id": {"name": "user_id", "in": "path", "required": True, "schema": string(minLength=1)},
    "item_id": {"name": "item_id", "in": "path", "required": True, "schema": string(minLength=1)},
    "segment": {"name": "name", "in": "path", "required": True, "description": "a lifecycle stage or live segment",
                "schema": string(enum=list(AUDIENCES))},
    "limit": {"name": "limit", "in": "query", "description": f"page size, 1 to {v.MAX_LIMIT:,}",
              "schema": {"type": "integer", "minimum": 1, "maximum": v.MAX_LIMIT, "default": v.DEFAULT_LIMIT}},
    "cursor": {"name": "cursor", "in": "query", "description": "next_cursor of the previous page",
               "schema": string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
}


LIST = response("ranked items", ref("ListAnswer"))
READ_ERRORS = (400, 404, 503)
BODY_ERRORS = (400, 413, 503)
SEGMENT_USERS = op("The customers of a segment, highest predicted value first, paged", "customers",
                    response("one page of customers", ref("SegmentUsers")), ("segment", "limit", "cursor"),
                    READ_ERRORS, operation_id="segmentUsers")
SEGMENT_USERS["responses"]["409"] = response("the cursor was made for a model version no longer served: start again",
                                              ref("Error"))

PATHS: dict[str, dict] = {
    "/v1/users/{user_id}/recommendations": {"get": op(
        "Personalized picks (unknown users get popular items)", "users", LIST,
        ("user_id", "n", "placement", "exclude_purchased", "debug"), READ_ERRORS, operation_id="userRecommendations")},
    "/v1/users/{user_id}/similar-users": {"get": op(
        "Nearest customers by taste", "users", response("similar users", ref("SimilarUsers")),
        ("user_id", "n"), READ_ERRORS, operation_id="similarUsers")},
    "/v1/recommendations": {"post": op(
        "Picks for a live session or anonymous visitor", "sessions", LIST, ("debug",), BODY_ERRORS, "SessionRequest",
        operation_id="sessionRecommendations")},
    "/v1/recommendations/batch": {"post": op(
        "Picks for up to 10,000 users, one JSON line per user", "batch",
        response("one BatchLine per user, in request order", ref("BatchLine"), "application/x-ndjson"),
        (), BODY_ERRORS, "BatchRequest", operation_id="batchRecommendations")},
    "/v1/items/{item_id}/related": {"get": op(
        "Related products", "items", LIST, ("item_id", "n", "placement", "debug"), READ_ERRORS,
        operation_id="relatedItems")},
    "/v1/items/{item_id}/bought-together": {"get": op(
        "Products bought in the same order, with support, confidence and lift", "items",
        response("association-rule partners", ref("BoughtTogetherAnswer")), ("item_id", "n", "placement", "debug"),
        READ_ERRORS,
        operation_id="boughtTogether")},
    "/v1/cart/complements": {"post": op(
        "Complements for a whole basket", "cart", LIST, ("debug",), BODY_ERRORS, "CartRequest",
        operation_id="cartComplements")},
    "/v1/popular": {"get": op(
        "Best sellers, overall or per category, optionally trending", "popular", LIST,
        ("n", "category", "trending", "placement", "debug"), READ_ERRORS, operation_id="popular")},
    "/v1/users/{user_id}/profile": {"get": op(
        "A customer's stage, live segments, RFM scores, predictions and favourite categories", "customers",
        response("the customer's profile", ref("Profile")), ("user_id",), READ_ERRORS, operation_id="userProfile")},
    "/v1/segments": {"get": op(
        "Every lifecycle stage and live segment with its metrics", "customers",
        response("segments, store figures and the key moment", ref("Segments")), (), (404, 503),
        operation_id="segments")},
    "/v1/segments/{name}/users": {"get": SEGMENT_USERS},
    "/v1/report": {"get": op(
        "The lifecycle report: revenue by stage, repurchase intervals, cohorts, stage sizes (HTML, inline SVG)",
        "customers", response("HTML page", string(), "text/html"), (), (404, 503), operation_id="report")},
    "/v1/model": {"get": op("The served model version", "health", response("version, data stats and metrics",
                                                                             ref("ModelInfo")), (), (503,),
                             operation_id="model")},
    "/v1/admin/reload": {"post": op(
        "Load the version models/CURRENT names now", "admin", response("the version now served",
                                                                        ref("ReloadAnswer")),
        (), (401, 403, 409), operation_id="reload", security=[{"bearer": []}])},
    "/healthz": {"get": op("Liveness", "health", response("alive", ref("Health")), operation_id="healthz")},
    "/readyz": {"get": op("Readiness: 503 until a model is loaded", "health", response("ready", ref("Ready")),
                           (), (503,), operation_id="readyz")},
    "/metrics": {"get": op("Prometheus metrics", "health", response("text exposition format", string(),
                                                                      "text/plain"), operation_id="metrics")},
    "/openapi.json": {"get": op("This document", "docs", response("OpenAPI 3 document", {"type": "object"}),
                                 operation_id="openapi")},
    "/docs": {"get": op("This document as a browsable page", "docs", response("HTML page", string(),
                                                                                 "text/html"), operation_id="docs")},
}


def build_spec() -> dict:
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
