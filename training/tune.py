"""``vitrine tune``: a small search of the settings on a validation split.

The search never sees the evaluation holdout: it cuts the data *before* the evaluation cut-off
again, one holdout-length earlier, and scores on that validation window. Two stages:

1. random search over interaction weighting and ALS settings (trials run in parallel with joblib),
   scored by the ALS model's NDCG@k in new-items mode;
2. for the best trial, coordinate ascent over the blend weights of each mode, reusing each
   signal's scores (no refitting), scored by the blend's NDCG@k in that mode.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
from joblib import Parallel, delayed

from recommender.blend import scale_rows
from recommender.history import UserHistory
from recommender.metrics import ranking_metrics
from recommender.ranking import top_n

from .config import MODES, TrainConfig, config_from_dict, merge
from .dataset import Dataset, build_dataset
from .evaluation import Split, resolve_cutoff, split_by_time
from .models import fit_models, signals
from .pipeline import TrainInput, load_input

SPACE = {
    "interactions.half_life_days": [None, 90.0, 180.0, 365.0],
    "interactions.log_scale": [True, False],
    "interactions.quantity_cap": [1.0, 3.0, 10.0],
    "interactions.weights.view": [0.5, 1.0, 2.0],
    "interactions.weights.cart": [2.0, 4.0, 8.0],
    "interactions.weights.purchase": [6.0, 12.0, 24.0],
    "als.factors": [32, 64, 128],
    "als.regularization": [0.01, 0.05, 0.2, 1.0],
    "als.alpha": [2.0, 5.0, 10.0, 20.0, 40.0],
}
BLEND_SIGNALS = ("copurchase", "item_knn", "ease", "popularity", "buy_again", "trending")
BLEND_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0)
MAX_TUNE_USERS = 4000


def nested(flat: dict[str, object]) -> dict:
    """``{"als.factors": 64}`` → ``{"als": {"factors": 64}}``."""
    out: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def sample_trials(trials: int, seed: int = 0) -> list[dict[str, object]]:
    """The current defaults first, then random points of ``SPACE``."""
    rng = np.random.default_rng(seed)
    points: list[dict[str, object]] = [{}]
    for _ in range(trials - 1):
        points.append({key: values[rng.integers(len(values))] for key, values in SPACE.items()})
    return points


def validation_split(data: Dataset, config: TrainConfig) -> Split:
    cutoff = resolve_cutoff(data, config)
    before = data.select(data.time < cutoff)
    holdout = float(data.time.max()) - cutoff
    return split_by_time(before, cutoff - holdout, MAX_TUNE_USERS)


def _score(split: Split, config: TrainConfig, scorer_name: str, mode: str) -> float:
    models = fit_models(split.train, config, now=split.cutoff)
    history = UserHistory.of(split.users, models.confidence, models.purchases)
    scores = signals(models)[scorer_name].score_users(history)
    exclude = split.bought_before if mode == "new_items" else None
    ids = top_n(scores, config.evaluation.k, exclude)[0]
    return ranking_metrics(ids, split.relevant[mode], k=config.evaluation.k)[f"ndcg@{config.evaluation.k}"]


def run_trial(split: Split, base: TrainConfig, point: dict) -> float:
    config = merge(base, nested({**point, "als.num_threads": 1}))
    return _score(split, config, "als", "new_items")


def tune_blend(split: Split, config: TrainConfig) -> dict[str, dict]:
    """Coordinate ascent over blend weights, ALS fixed at 1, per mode."""
    models = fit_models(split.train, config, now=split.cutoff)
    history = UserHistory.of(split.users, models.confidence, models.purchases)
    available = signals(models)
    parts = {name: scale_rows(np.asarray(available[name].score_users(history), np.float32))
             for name in ("als", *BLEND_SIGNALS) if name in available}
    k = config.evaluation.k
    best: dict[str, dict] = {}
    for mode in MODES:
        exclude = split.bought_before if mode == "new_items" else None

        def ndcg(weights: dict[str, float]) -> float:
            total = sum(w * parts[name] for name, w in weights.items() if w)
            return ranking_metrics(top_n(total, k, exclude)[0], split.relevant[mode], k=k)[f"ndcg@{k}"]

        weights = {name: float(name == "als") for name in parts}
        score = ndcg(weights)
        for _ in range(2):
            for name in [name for name in parts if name != "als"]:
                for value in BLEND_GRID:
                    trial = {**weights, name: value}
                    trial_score = ndcg(trial)
                    if trial_score > score + 1e-6:
                        weights, score = trial, trial_score
        best[mode] = {"weights": {n: w for n, w in weights.items() if w}, "ndcg": score}
    return best


def tune(source: TrainInput, config: TrainConfig, trials: int = 24, n_jobs: int = 2) -> dict:
    events, catalog, _ = load_input(source, config)
    data = build_dataset(events, catalog, config.basket_gap_hours)
    split = validation_split(data, config)
    points = sample_trials(trials)
    scores = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(run_trial)(split, config, point) for point in points)
    ranked = sorted(zip(scores, range(len(points))), key=lambda pair: -pair[0])
    best_point = points[ranked[0][1]]
    best_config = merge(config, nested(best_point))
    blend = tune_blend(split, best_config)
    settings = nested(best_point)
    settings["blend"] = {mode: result["weights"] for mode, result in blend.items()}
    config_from_dict(settings)
    return {
        "validation_cutoff": float(split.cutoff),
        "trials": [{"ndcg_als_new_items": float(s), "settings": points[i]} for s, i in ranked],
        "blend": blend,
        "best_settings": settings,
        "defaults": asdict(config),
    }


def report(result: dict) -> str:
    lines = ["ALS trials (validation NDCG, new items), best first:"]
    for trial in result["trials"][:8]:
        lines.append(f"  {trial['ndcg_als_new_items']:.4f}  {trial['settings'] or 'defaults'}")
    for mode, found in result["blend"].items():
        lines.append(f"blend {mode}: NDCG {found['ndcg']:.4f} with {found['weights']}")
    lines.append(f"best settings: {result['best_settings']}")
    return "\n".join(lines)
