"""An experiment's results as the API and the console show them: the stored experiment, its
statistics (``recommender.experiments.analyse``) over the outcomes of its exposed visitors."""
from __future__ import annotations

from flask import current_app

from recommender.experiments import Results, analyse, stored_experiment

from api.experiments.store import ExperimentStore
from api.outcomes.experiment import experiment_outcomes


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
