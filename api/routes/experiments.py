"""``/v1/experiments``: A/B experiments on a placement (admin token).

Create a draft, start it (one running experiment per placement), read its results, stop it —
promoting a variant makes its settings the placement's own in the same audited change. Stopping a
``fixed_horizon`` experiment before every variant reached the sample size the design asked for
needs ``force`` (its results are only read at that horizon); a ``sequential`` one may stop at any
time (see ``recommender.experiments.statistics``).
"""
from __future__ import annotations

from flask import Blueprint, request

from recommender.errors import FieldError
from recommender.experiments import METRICS, minimum_detectable_effect, parse_experiment, sample_size

from api.errors import bad_request
from api.experiments import experiments
from api.experiments.results import changed, experiment_results, stop_experiment
from api.rules.changes import admin_actor, invalid, not_found
from api.schema.limits import MAX_RULE_ID
from api.schema.experiment_models import ExperimentInput, StopRequest
from api.schema.validation import parse_body, query_number

bp = Blueprint("experiments", __name__, url_prefix="/v1/experiments")


@bp.get("")
def list_experiments() -> dict:
    admin_actor()
    return {"experiments": experiments().store.list()}


@bp.post("")
def create_experiment() -> tuple[dict, int]:
    actor = admin_actor()
    try:
        design = parse_experiment(parse_body(ExperimentInput).design())
    except FieldError as exc:
        raise invalid(exc, "invalid_experiment") from None
    return experiments().store.create(design, actor), 201


@bp.get("/<int:experiment_id>")
def get_experiment(experiment_id: int) -> dict:
    admin_actor()
    stored = _stored(experiment_id)
    return {**stored, "exposures": experiments().store.exposure_counts(experiment_id)}


@bp.post("/<int:experiment_id>/start")
def start_experiment(experiment_id: int) -> dict:
    actor = admin_actor()
    _stored(experiment_id)
    return changed(lambda: experiments().store.start(experiment_id, actor))


@bp.get("/<int:experiment_id>/results")
def results(experiment_id: int) -> dict:
    admin_actor()
    stored = _stored(experiment_id)
    found = experiment_results(experiments().store, stored)
    return {"experiment": stored, "results": found.to_dict() if found else None}


@bp.post("/<int:experiment_id>/stop")
def stop(experiment_id: int) -> dict:
    """Body: ``{"promote": "B" | null, "force": false}``."""
    actor = admin_actor()
    asked = parse_body(StopRequest)
    return stop_experiment(experiments().store, _stored(experiment_id), actor, asked.promote, asked.force)


@bp.get("/sample-size")
def calculator() -> dict:
    """Visitors per variant for a baseline rate and relative effect, or (``visitors`` given) the
    smallest effect that many detect; ``visitors_per_day`` turns it into days."""
    admin_actor()
    args = request.args
    baseline = query_number(args, "baseline_rate", 0.05, 0.0001, 0.9)
    alpha = query_number(args, "alpha", 0.05, 0.001, 0.2)
    power = query_number(args, "power", 0.8, 0.5, 0.99)
    variants = int(query_number(args, "variants", 2, 2, 5))
    daily = query_number(args, "visitors_per_day", 0, 0, 1e9)
    if "visitors" in args:
        visitors = int(query_number(args, "visitors", 0, 10, 1e9))
        effect = minimum_detectable_effect(baseline, visitors, alpha, power, variants)
    else:
        effect = query_number(args, "minimum_effect", 0.1, 0.005, 5.0)
        if baseline * (1 + effect) >= 1:
            raise bad_request("baseline_rate × (1 + minimum_effect) must stay below 1", "minimum_effect")
        visitors = sample_size(baseline, effect, alpha, power, variants)
    return {"baseline_rate": baseline, "minimum_effect": effect, "alpha": alpha, "power": power, "variants": variants,
            "visitors_per_variant": visitors, "visitors_total": visitors * variants,
            "days": (visitors * variants / daily) if daily > 0 else None, "metrics": list(METRICS)}


def _stored(experiment_id: int) -> dict:
    stored = experiments().store.get(experiment_id) if experiment_id <= MAX_RULE_ID else None
    if stored is None:
        raise not_found("experiment", str(experiment_id), "experiment_id")
    return stored
