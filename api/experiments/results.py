"""An experiment's results as the API and the console show them: the stored experiment, its
statistics (``recommender.experiments.analyse``) over the outcomes of its exposed visitors."""
from __future__ import annotations

from flask import current_app

from recommender.experiments import Results, analyse, stored_experiment

from api.errors import APIError
from api.experiments.store import ExperimentConflict, ExperimentStore
from api.outcomes.experiment import experiment_outcomes
from api.rules.cache import rules_cache


def experiment_results(store: ExperimentStore, stored: dict) -> Results | None:
    """``None`` for a draft (nobody was exposed yet)."""
    if stored["started_at"] is None:
        return None
    design = stored_experiment(stored)
    names = [v.name for v in design.variants]
    outcomes = experiment_outcomes(store.events, store.exposures(stored["id"]), names, design.placement,
                                   stored["started_at"], stored["stopped_at"],
                                   current_app.config["ATTRIBUTION_WINDOW_HOURS"])
    return analyse(design, outcomes)


def stop_experiment(store: ExperimentStore, stored: dict, actor: str, promote: str | None, force: bool) -> dict:
    """Stop (and promote ``promote``) as one audited change; a fixed-horizon experiment before its
    horizon only with ``force`` (409 otherwise), a sequential one at any time. The results at the
    moment of stopping are kept in the stop note."""
    found = experiment_results(store, stored) if stored["status"] == "running" else None
    early = found is not None and not found.horizon_reached and found.analysis == "fixed_horizon"
    if early and not force:
        least = min(v.visitors for v in found.variants)
        raise APIError(409, "horizon_not_reached", f"the variants have {least:,} of the {found.sample_size:,} "
                       "visitors each that the design needs; stopping now reads the results early (pass force)",
                       "force")
    note = {"early": early,
            "decision": found.decision if found else None, "winner": found.winner if found else None,
            "visitors": {v.name: v.visitors for v in found.variants} if found else {}}
    return changed(lambda: store.stop(stored["id"], actor, promote, note))


def changed(change) -> dict:
    """Run a state change; a conflict is a 409 naming the field. Then this worker notices it at once."""
    try:
        stored = change()
    except ExperimentConflict as exc:
        raise APIError(409, "experiment_conflict", exc.message, exc.field) from None
    rules_cache().refresh(force=True)
    return stored
