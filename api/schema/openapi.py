"""The OpenAPI 3.1 description of the service: schemas generated from the pydantic models that
validate requests (``api.schema.models``, ``api.schema.rule_models``), paths and parameters from the
same limits the checks use."""
from __future__ import annotations



from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from recommender.communities import COMMUNITY_PATTERN
from recommender.profiles import AUDIENCES
from recommender.rules import PLACEMENT_PATTERN

from api.schema import limits as v
from api.schema import event_models, experiment_models, models, rule_models
from api.schema.openapi_experiments import EXPERIMENT_PARAMETERS, EXPERIMENT_PATHS
from api.schema.openapi_rules import RULE_PARAMETERS, RULE_PATHS
from api.schema.parts import op, ref, response, string

VERSION = "1.0.0"

def component_schemas(models: tuple[type[BaseModel], ...]) -> dict[str, dict]:
    """Every model, and every model they use, as ``components.schemas`` (JSON Schema 2020-12, which
    OpenAPI 3.1 takes as it is)."""
    _, top = models_json_schema([(model, "validation") for model in models],
                                ref_template="#/components/schemas/{model}")
    return top["$defs"]


SCHEMAS = component_schemas(models.REQUESTS + models.ANSWERS + rule_models.MODELS + event_models.MODELS
                            + experiment_models.MODELS)

PARAMETERS: dict[str, dict] = {
    "n": {"name": "n", "in": "query", "description": f"number of answers, 1 to {v.MAX_N}",
          "schema": {"type": "integer", "minimum": 1, "maximum": v.MAX_N, "default": v.DEFAULT_N}},
    "placement": {"name": "placement", "in": "query", "description": "where the list is shown: home, product, "
                  "cart, email, ... (passed to the business rules)",
                  "schema": string(pattern=PLACEMENT_PATTERN)},
    "exclude_purchased": {"name": "exclude_purchased", "in": "query", "description": "leave out items the user "
                          "bought", "schema": {"type": "boolean", "default": True}},
    "category": {"name": "category", "in": "query", "description": "only this category",
                 "schema": string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
    "trending": {"name": "trending", "in": "query", "description": "rank by recent rather than overall popularity",
                 "schema": {"type": "boolean", "default": False}},
    "user_id": {"name": "user_id", "in": "path", "required": True, "schema": string(minLength=1)},
    "visitor_id": {"name": "visitor_id", "in": "path", "required": True, "description": "the widget's first-party "
                   "visitor id", "schema": string(minLength=1)},
    "unit": {"name": "visitor_id", "in": "query", "description": "the widget's visitor id: assigns the visitor "
             "a variant when an experiment runs on the placement", "schema": string(minLength=1, maxLength=v.MAX_ID_LENGTH)},
    "item_id": {"name": "item_id", "in": "path", "required": True, "schema": string(minLength=1)},
    "segment": {"name": "name", "in": "path", "required": True, "description": "a lifecycle stage, live segment "
                "or community (community:<slug>, see /v1/communities)",
                "schema": {"anyOf": [string(enum=list(AUDIENCES)), string(pattern=COMMUNITY_PATTERN)]}},
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

EVENTS = op("Store storefront events: one, an array of up to 1,000, or NDJSON lines", "events",
            response("stored (answered only once committed)", ref("EventsAnswer")), (), (400, 408, 413),
            "EventBody", operation_id="postEvents")
EVENTS["responses"]["201"] = EVENTS["responses"].pop("200")
EVENTS["responses"]["429"] = response("this visitor or origin sent too many events lately (see Retry-After)",
                                      ref("Error"))
EVENTS["requestBody"]["content"]["application/x-ndjson"] = {"schema": ref("EventIn")}

def erasure(kind: str, parameter: str) -> dict:
    return op(f"Erase a {kind}: their stored events and links are deleted, answers stop using what the served "
              "model learned of them, the next training leaves them out; audited", "privacy",
              response("what was erased", ref("ErasureAnswer")), (parameter,), (401, 403),
              operation_id=f"erase{kind.title()}", security=[{"bearer": []}])


PATHS: dict[str, dict] = {
    "/v1/events": {"post": EVENTS},
    "/v1/visitors/{visitor_id}/recommendations": {"get": op(
        "Picks for a visitor from their session's stored events (and their customer's history once logged in)",
        "visitors", LIST, ("visitor_id", "n", "placement", "exclude_purchased", "debug"), READ_ERRORS,
        operation_id="visitorRecommendations")},
    "/v1/users/{user_id}": {"delete": erasure("user", "user_id")},
    "/v1/visitors/{visitor_id}": {"delete": erasure("visitor", "visitor_id")},
    "/v1/users/{user_id}/recommendations": {"get": op(
        "Personalized picks (unknown users get popular items)", "users", LIST,
        ("user_id", "n", "placement", "exclude_purchased", "debug"), READ_ERRORS, operation_id="userRecommendations")},
    "/v1/users/{user_id}/similar-users": {"get": op(
        "Nearest customers by taste", "users", response("similar users", ref("SimilarUsers")),
        ("user_id", "n"), READ_ERRORS, operation_id="similarUsers")},
    "/v1/recommendations": {"post": op(
        "Picks for a live session or anonymous visitor", "sessions", LIST, ("debug", "unit"), BODY_ERRORS, "SessionRequest",
        operation_id="sessionRecommendations")},
    "/v1/recommendations/batch": {"post": op(
        "Picks for up to 10,000 users, one JSON line per user", "batch",
        response("one BatchLine per user, in request order", ref("BatchLine"), "application/x-ndjson"),
        (), BODY_ERRORS, "BatchRequest", operation_id="batchRecommendations")},
    "/v1/items/{item_id}/related": {"get": op(
        "Related products", "items", LIST, ("item_id", "n", "placement", "debug", "unit"), READ_ERRORS,
        operation_id="relatedItems")},
    "/v1/items/{item_id}/bought-together": {"get": op(
        "Products bought in the same order, with support, confidence and lift", "items",
        response("association-rule partners", ref("BoughtTogetherAnswer")), ("item_id", "n", "placement", "debug"),
        READ_ERRORS,
        operation_id="boughtTogether")},
    "/v1/cart/complements": {"post": op(
        "Complements for a whole basket", "cart", LIST, ("debug", "unit"), BODY_ERRORS, "CartRequest",
        operation_id="cartComplements")},
    "/v1/popular": {"get": op(
        "Best sellers, overall or per category, optionally trending", "popular", LIST,
        ("n", "category", "trending", "placement", "debug", "unit"), READ_ERRORS, operation_id="popular")},
    "/v1/users/{user_id}/profile": {"get": op(
        "A customer's stage, live segments, RFM scores, predictions and favourite categories", "customers",
        response("the customer's profile", ref("Profile")), ("user_id",), READ_ERRORS, operation_id="userProfile")},
    "/v1/segments": {"get": op(
        "Every lifecycle stage and live segment with its metrics", "customers",
        response("segments, store figures and the key moment", ref("Segments")), (), (404, 503),
        operation_id="segments")},
    "/v1/segments/{name}/users": {"get": SEGMENT_USERS},
    "/v1/communities": {"get": op(
        "Customer communities by behaviour: how many, each one's name, size, revenue share, top products and "
        "categories", "customers", response("the communities", ref("Communities")), (), (404, 503),
        operation_id="communities")},
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
        "openapi": "3.1.0",
        "info": {"title": "Vitrine recommendations API", "version": VERSION,
                 "description": "Product recommendations for online stores. Every error is "
                                "{\"error\": {\"code\", \"message\", \"field\"?}}."},
        "paths": {**PATHS, **RULE_PATHS, **EXPERIMENT_PATHS},
        "components": {"schemas": SCHEMAS, "parameters": {**PARAMETERS, **RULE_PARAMETERS, **EXPERIMENT_PARAMETERS},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "VITRINE_ADMIN_TOKEN"}}},
    }
