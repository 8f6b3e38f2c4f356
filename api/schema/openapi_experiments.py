"""The OpenAPI paths of experiments and outcome analytics (schemas: ``api.schema.experiment_models``)."""
from __future__ import annotations

from api.schema.openapi_rules import ADMIN, WRITE_ERRORS
from api.schema.parts import op, ref, response, string

EXPERIMENT_PARAMETERS: dict[str, dict] = {
    "experiment_id": {"name": "experiment_id", "in": "path", "required": True,
                      "schema": {"type": "integer", "minimum": 1}},
    "from": {"name": "from", "in": "query", "description": "first day (UTC), default 29 days before to",
             "schema": string(format="date")},
    "to": {"name": "to", "in": "query", "description": "last day included (UTC), default today",
           "schema": string(format="date")},
    "report_format": {"name": "format", "in": "query", "schema": string(enum=["json", "csv"], default="json")},
    **{name: {"name": name, "in": "query", "description": description, "schema": schema}
       for name, description, schema in (
           ("baseline_rate", "the control's rate", {"type": "number", "minimum": 0.0001, "maximum": 0.9}),
           ("minimum_effect", "relative uplift to detect", {"type": "number", "minimum": 0.005, "maximum": 5}),
           ("visitors", "visitors per variant: answer the effect they detect instead",
            {"type": "integer", "minimum": 10}),
           ("alpha", "significance level", {"type": "number", "minimum": 0.001, "maximum": 0.2}),
           ("power", "chance to detect the effect", {"type": "number", "minimum": 0.5, "maximum": 0.99}),
           ("variants", "variants, control included", {"type": "integer", "minimum": 2, "maximum": 5}),
           ("visitors_per_day", "traffic of the placement, to count days", {"type": "number", "minimum": 0}))},
}

EXPERIMENT = response("the experiment", ref("Experiment"))
CHANGE_ERRORS = (*WRITE_ERRORS, 404, 409)


def _admin(summary: str, ok: dict, params: tuple[str, ...] = (), errors: tuple[int, ...] = (400, 401, 403),
           body: str | None = None, *, operation_id: str) -> dict:
    return op(summary, "experiments", ok, params, errors, body, operation_id=operation_id, security=ADMIN)


CREATE = _admin("Create a draft experiment: a placement, two or more variants (placement settings) and the split",
                EXPERIMENT, (), WRITE_ERRORS, "ExperimentInput", operation_id="createExperiment")
CREATE["responses"] = {"201": CREATE["responses"].pop("200"), **CREATE["responses"]}
PLACEMENTS = op("Impressions, clicks, CTR, attributed add-to-carts, orders, revenue and revenue per 1,000 "
                "impressions per placement and day", "analytics",
                response("the report", ref("PlacementReport")), ("from", "to", "report_format"), (400, 401, 403),
                operation_id="placementAnalytics", security=ADMIN)
PLACEMENTS["responses"]["200"]["content"]["text/csv"] = {"schema": string("one row per placement and day")}

EXPERIMENT_PATHS: dict[str, dict] = {
    "/v1/experiments": {
        "get": _admin("Every experiment, newest first", response("experiments", ref("ExperimentList")),
                      operation_id="listExperiments"),
        "post": CREATE,
    },
    "/v1/experiments/sample-size": {"get": _admin(
        "Visitors per variant to detect a relative uplift (or the uplift a number of visitors detects)",
        response("the calculation", ref("SampleSize")),
        ("baseline_rate", "minimum_effect", "visitors", "alpha", "power", "variants", "visitors_per_day"),
        operation_id="sampleSize")},
    "/v1/experiments/{experiment_id}": {"get": _admin(
        "One experiment and its exposures per variant", response("the experiment", ref("ExperimentDetail")),
        ("experiment_id",), (401, 403, 404), operation_id="getExperiment")},
    "/v1/experiments/{experiment_id}/start": {"post": _admin(
        "Start a draft (one running experiment per placement)", EXPERIMENT, ("experiment_id",), CHANGE_ERRORS,
        operation_id="startExperiment")},
    "/v1/experiments/{experiment_id}/stop": {"post": _admin(
        "Stop, optionally promoting a variant to the placement's settings (one audited change); before the "
        "horizon only with force", EXPERIMENT, ("experiment_id",), CHANGE_ERRORS, "StopRequest",
        operation_id="stopExperiment")},
    "/v1/experiments/{experiment_id}/results": {"get": _admin(
        "Per variant: visitors, rates with 95 % intervals, uplift against the control, p-values at the horizon, "
        "sample-ratio check", response("the results", ref("ExperimentResults")), ("experiment_id",),
        (401, 403, 404), operation_id="experimentResults")},
    "/v1/analytics/placements": {"get": PLACEMENTS},
}
