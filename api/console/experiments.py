"""The Experiments pages: the list, a new experiment with its sample size, and each experiment's
results (intervals, uplift, the sample-ratio check, progress to the horizon) with start, stop and
"stop and promote" — the same store and checks as ``/v1/experiments``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from recommender.errors import FieldError
from recommender.experiments import METRICS, minimum_detectable_effect, parse_experiment, sample_size
from recommender.experiments.design import ANALYSES
from recommender.rules import STRATEGIES

from api.console import bp
from api.errors import APIError
from api.experiments import experiments
from api.experiments.results import changed, experiment_results, stop_experiment
from api.reports.charts import interval_chart

FORM_VARIANTS = 4
METRIC_NAMES = {"click_rate": "visitors who clicked", "conversion_rate": "visitors who ordered",
                "ctr": "clicks per impression", "revenue_per_visitor": "revenue per visitor"}
RULE_CHOICES = {"on": "rules on", "off": "rules off"}
ANALYSIS_NAMES = {"fixed_horizon": "fixed horizon: read once, at the sample size",
                  "sequential": "sequential (mSPRT): valid at any time, may stop early"}
MDE_VISITORS = (1_000, 5_000, 20_000, 100_000)


def _actor() -> str:
    return session.get("actor") or "console"


@bp.get("/experiments")
def experiments_page() -> str:
    return render_template("console/experiments.html", experiments=experiments().store.list(),
                           page_title="Experiments")


@bp.route("/experiments/new", methods=["GET", "POST"])
def new_experiment() -> Response | str:
    form = request.form if request.method == "POST" else request.args
    values = _form_values(form)
    error = None
    if request.method == "POST":
        try:
            stored = experiments().store.create(parse_experiment(values), _actor())
            flash(f"Experiment {stored['name']!r} saved as a draft: start it when ready.")
            return redirect(url_for("console.experiment_page", experiment_id=stored["id"]), 303)
        except FieldError as exc:
            error = exc
    calculator = _calculator(values)
    return render_template("console/experiment_form.html", values=values, error=error, calculator=calculator,
                           strategies=STRATEGIES, metrics=METRICS, metric_names=METRIC_NAMES,
                           rule_choices=RULE_CHOICES, analyses={a: ANALYSIS_NAMES[a] for a in ANALYSES},
                           rows=FORM_VARIANTS, page_title="New experiment"), \
        400 if error else 200


@bp.get("/experiments/<int:experiment_id>")
def experiment_page(experiment_id: int) -> str:
    stored = _stored(experiment_id)
    results = experiment_results(experiments().store, stored)
    charts = {}
    if results is not None:
        labels = [v.name for v in results.variants]
        for metric in ("click_rate", "conversion_rate", "revenue_per_visitor"):
            estimates = [_triple(v.metrics[metric]) for v in results.variants]
            charts[metric] = interval_chart(labels, estimates, f"{METRIC_NAMES[metric]}, 95 % intervals",
                                            ",.2f" if metric == "revenue_per_visitor" else ".1%")
    return render_template("console/experiment.html", experiment=stored, results=results, charts=charts,
                           metric_names=METRIC_NAMES, page_title=stored["name"])


@bp.post("/experiments/<int:experiment_id>/start")
def start_experiment_page(experiment_id: int) -> Response:
    _stored(experiment_id)
    _or_flash(lambda: changed(lambda: experiments().store.start(experiment_id, _actor())), "Experiment started.")
    return redirect(url_for("console.experiment_page", experiment_id=experiment_id), 303)


@bp.post("/experiments/<int:experiment_id>/stop")
def stop_experiment_page(experiment_id: int) -> Response:
    stored = _stored(experiment_id)
    promote = request.form.get("promote") or None
    force = request.form.get("force") == "on"
    done = f"Stopped; {promote} is now the placement's setting." if promote else "Stopped; the placement is as before."
    _or_flash(lambda: stop_experiment(experiments().store, stored, _actor(), promote, force), done)
    return redirect(url_for("console.experiment_page", experiment_id=experiment_id), 303)


def _or_flash(change, message: str) -> None:
    try:
        change()
        flash(message)
    except APIError as exc:
        flash(exc.message, "error")


def _stored(experiment_id: int) -> dict:
    stored = experiments().store.get(experiment_id)
    if stored is None:
        abort(404, f"experiment {experiment_id} does not exist")
    return stored


def _triple(estimate) -> tuple[float, float, float] | None:
    return None if estimate.value is None else (estimate.value, estimate.low, estimate.high)


def _form_values(form) -> dict:
    """The form as ``parse_experiment`` reads it (numbers left as typed when they are not numbers,
    so the check names the field)."""
    variants = []
    for k in range(FORM_VARIANTS):
        name = form.get(f"variant{k}_name", "AB"[k] if k < 2 else "").strip()
        if not name:
            continue
        settings: dict = {}
        strategy = form.get(f"variant{k}_strategy", "")
        if strategy:
            settings["strategy"] = strategy
        rules = form.get(f"variant{k}_rules", "on")
        if rules == "off":
            settings["apply_rules"] = False
        tags = [t.strip() for t in form.get(f"variant{k}_skip_tags", "").split(",") if t.strip()]
        if tags:
            settings["skip_rule_tags"] = tags
        variants.append({"name": name, "weight": _number(form.get(f"variant{k}_weight", "50")), "settings": settings})
    return {"name": form.get("name", "").strip() or "New experiment", "placement": form.get("placement", "home").strip(),
            "metric": form.get("metric", "click_rate"), "baseline_rate": _number(form.get("baseline_rate", "0.05")),
            "minimum_effect": _number(form.get("minimum_effect", "0.1")), "variants": variants,
            "analysis": form.get("analysis", "fixed_horizon")}


def _number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _calculator(values: dict) -> dict | None:
    """Visitors per variant for the form's baseline and effect, and what other sizes detect."""
    try:
        baseline, effect = float(values["baseline_rate"]), float(values["minimum_effect"])
        variants = max(len(values["variants"]), 2)
        return {"visitors": sample_size(baseline, effect, variants=variants), "variants": variants,
                "detects": [(n, minimum_detectable_effect(baseline, n, variants=variants)) for n in MDE_VISITORS]}
    except (TypeError, ValueError, ZeroDivisionError):
        return None
