"""Model selection, part of every training run: the store's own data chooses the settings.

Labelled windows are cut *before* the evaluation holdout (which selection never sees), each as
long as the holdout, newest first. On the newest (the judging window):

1. a seeded random search over ALS and interaction settings, the defaults first, stopped by a
   time budget scaled to the data size (same seed, same trials in the same order: a slower
   machine may run fewer of them, never different ones);
2. the decay of the purchase rows behind "buy again", chosen on that signal alone;
3. per mode, coordinate ascent over the blend weights that starts from the best single signal,
   so the blend is never worse on this window than the best signal alone;
4. the weight of V-SKNN beside the blend in live sessions, by MRR@20 when the judging window's
   sessions are replayed item by item (:mod:`training.session_evaluation`);
5. per mode, a LambdaRank re-ranker trained on the older windows and judged against the tuned
   blend on the newest; it is kept (refitted on every window) only where it wins.

The report lists every trial, the chosen settings, each single signal's NDCG on the judging
window and which of blend and ranker won by how much; training writes it into the manifest.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from recommender.blend import scale_rows
from recommender.history import UserHistory
from recommender.metrics import ranking_metrics
from recommender.ranker import LambdaRanker
from recommender.ranking import rows_per_batch, top_n
from recommender.rerank import union_rows

from .config import MODES, TrainConfig, merge
from .dataset import Dataset, interaction_matrices
from .evaluation import Split, resolve_cutoff, split_by_time
from .models import LOCAL, Engine, FittedModels, fit_models, fit_popularity, signals
from .ranking import Examples, LabelledWindow, fit_ranker, ranked_lists, ranking_inputs, window_examples
from .session_evaluation import best_session_weight, session_task

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
PURCHASE_HALF_LIVES = (None, 30.0, 90.0, 180.0, 365.0)
BLEND_SIGNALS = ("als", "copurchase", "item_knn", "ease", "popularity", "buy_again", "trending")
BLEND_GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0)
SINGLE = {"buy_again": {"buy_again": 1.0, "popularity": 1e-3}}  # "buy again" breaks ties by popularity


@dataclass
class Selection:
    """The chosen configuration, the re-rankers kept per mode, and what was tried."""

    config: TrainConfig
    rankers: dict[str, LambdaRanker] = field(default_factory=dict)
    report: dict = field(default_factory=dict)


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
    """The current settings first, then seeded random points of ``SPACE``."""
    rng = np.random.default_rng(seed)
    points: list[dict[str, object]] = [{}]
    for _ in range(trials - 1):
        points.append({key: values[rng.integers(len(values))] for key, values in SPACE.items()})
    return points


def budget_seconds(config: TrainConfig, n_events: int) -> float:
    configured = config.selection.budget_seconds
    return float(configured) if configured is not None else 20.0 + 20.0 * n_events / 1e6


def _length(data: Dataset, config: TrainConfig) -> float:
    """A window's length: the holdout's."""
    return float(data.time.max()) - resolve_cutoff(data, config)


def labelled_windows(data: Dataset, config: TrainConfig) -> list[Split]:
    """Up to ``selection.windows`` splits before the holdout, newest first; a window without a
    judged customer ends the list."""
    cutoff, length = resolve_cutoff(data, config), _length(data, config)
    windows = []
    for back in range(1, config.selection.windows + 1):
        end, start = cutoff - (back - 1) * length, cutoff - back * length
        if start <= float(data.time.min()):
            break
        split = split_by_time(data.select(data.time < end), start, config.selection.max_users, config.selection.seed)
        if len(split.users) == 0:
            break
        windows.append(split)
    return windows


MIN_RANKER_GROUPS = 20  # customers to learn a ranking from
SELECTION_SESSIONS = 300  # sessions of the judging window replayed to weigh V-SKNN in live sessions
POOL_EACH = 60  # each signal's best items (new, and with past purchases) pooled for blend tuning


class Judge:
    """NDCG@k on one split, per mode, for customers in ``split.users`` order. Scores are computed a
    batch of customers at a time (``rows_per_batch``), so a 100k-product catalog never holds one
    dense row per customer at once."""

    def __init__(self, split: Split, k: int) -> None:
        self.split, self.k = split, k

    def batches(self, n_arrays: int = 1) -> list[np.ndarray]:
        size = rows_per_batch(self.split.train.n_items, n_arrays)
        return [np.arange(start, min(start + size, len(self.split.users)))
                for start in range(0, len(self.split.users), size)]

    def ndcg(self, score_rows: Callable[[np.ndarray], np.ndarray], mode: str) -> float:
        """NDCG of ranking by ``score_rows(rows)`` (dense scores of those customers' rows)."""
        ids = [top_n(score_rows(rows), self.k, self.split.bought_before[rows] if mode == "new_items" else None)[0]
               for rows in self.batches()]
        return self.lists_ndcg(np.vstack(ids), mode)

    def judges(self, mode: str) -> bool:
        """Whether any customer of the window bought something that counts in ``mode``."""
        return self.split.relevant[mode].nnz > 0

    def lists_ndcg(self, ids: np.ndarray, mode: str) -> float:
        return ranking_metrics(ids, self.split.relevant[mode], k=self.k)[f"ndcg@{self.k}"]


@dataclass(frozen=True)
class PooledScores:
    """Per customer, the union of every signal's best ``POOL_EACH`` items (new ones, and with past
    purchases), and each signal's scaled score there: blend weights are tuned on these pools, which
    hold any blend's top k, in memory that does not grow with the catalog."""

    items: np.ndarray
    scores: dict[str, np.ndarray]
    bought: np.ndarray

    def ndcg(self, judge: Judge, weights: dict[str, float], mode: str) -> float:
        total = sum(w * self.scores[name] for name, w in weights.items() if w)
        invalid = (self.items < 0) | (self.bought if mode == "new_items" else False)
        total = np.where(invalid, -np.inf, total)
        best = top_n(total, judge.k)[0]
        ids = np.where(best >= 0, np.take_along_axis(self.items, np.maximum(best, 0), axis=1), -1)
        return judge.lists_ndcg(ids, mode)


def pooled_scores(judge: Judge, models: FittedModels) -> PooledScores:
    """Every signal (``models``, fitted as of the judging window's cut-off), pooled per customer."""
    split = judge.split
    available = signals(models)
    items, scores, bought = [], {name: [] for name in available}, []
    for rows in judge.batches(len(available)):
        history = UserHistory.of(split.users[rows], models.confidence, models.purchases)
        parts = {name: scale_rows(np.asarray(scorer.score_users(history), np.float32))
                 for name, scorer in available.items()}
        exclude = split.bought_before[rows]
        lists = [top_n(part, POOL_EACH)[0] for part in parts.values()]
        lists += [top_n(part, POOL_EACH, exclude)[0] for part in parts.values()]
        pool = union_rows(lists)
        safe = np.maximum(pool, 0)
        for name, part in parts.items():
            scores[name].append(np.take_along_axis(part, safe, axis=1))
        bought.append(np.asarray(exclude[np.arange(len(rows))[:, None], safe].todense()) > 0)
        items.append(pool)
    width = max(p.shape[1] for p in items)
    pad = lambda blocks, value: np.vstack([np.pad(b, ((0, 0), (0, width - b.shape[1])), constant_values=value)
                                           for b in blocks])
    return PooledScores(pad(items, -1), {name: pad(blocks, 0.0) for name, blocks in scores.items()}, pad(bought, False))


def search_als(judge: Judge, config: TrainConfig, seconds: float, engine: Engine = LOCAL) -> tuple[dict, list[dict]]:
    """The best point of the ALS search by ALS's own NDCG in new-items mode (all purchases when
    the window has no new-item purchase), and every trial."""
    deadline = time.monotonic() + seconds
    mode = "new_items" if judge.judges("new_items") else "all_purchases"
    trials = []
    for point in sample_trials(config.selection.als_trials, config.selection.seed):
        if trials and time.monotonic() > deadline:
            break
        trial = merge(config, nested(point))
        confidence, purchases = interaction_matrices(judge.split.train, judge.split.cutoff, trial.interactions)
        als = engine.als(confidence, trial.als)
        users = judge.split.users

        def scores(rows: np.ndarray) -> np.ndarray:
            return np.asarray(als.score_users(UserHistory.of(users[rows], confidence, purchases)), np.float32)

        trials.append({"settings": point, "mode": mode, "ndcg_als": round(judge.ndcg(scores, mode), 5)})
    best = max(trials, key=lambda trial: trial["ndcg_als"])
    return best["settings"], trials


def choose_purchase_decay(judge: Judge, config: TrainConfig) -> tuple[float | None, dict]:
    """The purchase half-life under which "buy again" alone ranks the judging window best."""
    split = judge.split
    popularity = scale_rows(fit_popularity(split.train, split.cutoff, config.popularity_half_life_days).scores_[None, :])
    tried = {}
    for half_life in PURCHASE_HALF_LIVES:
        interactions = merge(config.interactions, {"purchase_half_life_days": half_life})
        purchases = interaction_matrices(split.train, split.cutoff, interactions)[1][split.users]

        def scores(rows: np.ndarray) -> np.ndarray:
            return scale_rows(purchases[rows].toarray().astype(np.float32)) + 1e-3 * popularity

        tried[str(half_life)] = round(judge.ndcg(scores, "all_purchases"), 5)
    best = max(PURCHASE_HALF_LIVES, key=lambda h: tried[str(h)])
    return best, tried


def tune_blend(judge: Judge, pooled: PooledScores, mode: str) -> tuple[dict[str, float], float, dict]:
    """Coordinate ascent from the best single signal; returns the weights, their NDCG and every
    single signal's NDCG."""
    def ndcg(weights: dict[str, float]) -> float:
        return pooled.ndcg(judge, weights, mode)

    names = [name for name in BLEND_SIGNALS if name in pooled.scores]
    singles = {name: ndcg(SINGLE.get(name, {name: 1.0})) for name in names}
    start = max(names, key=lambda name: singles[name])
    weights = {name: 0.0 for name in names} | dict(SINGLE.get(start, {start: 1.0}))
    score = singles[start]
    for _ in range(2):
        for name in names:
            if name == start:
                continue
            for value in BLEND_GRID:
                trial = {**weights, name: value}
                trial_score = ndcg(trial)
                if trial_score > score + 1e-6:
                    weights, score = trial, trial_score
    return {n: w for n, w in weights.items() if w}, score, {n: round(s, 5) for n, s in singles.items()}


def _windows_for(splits: list[Split], config: TrainConfig, newest: FittedModels, engine: Engine) -> list[LabelledWindow]:
    """Each split with its ranking inputs; ``newest`` are the models already fitted for the first."""
    out = []
    for position, split in enumerate(splits):
        models = newest if position == 0 else fit_models(split.train, config, now=split.cutoff, engine=engine)
        out.append(LabelledWindow(ranking_inputs(split.train, models, config), split.users, split.relevant))
    return out


def choose_rankers(windows: list[Split], config: TrainConfig, blend_ndcg: dict[str, float],
                   newest: FittedModels, engine: Engine = LOCAL) -> tuple[dict, dict]:
    """Per mode, a ranker trained on the older windows and judged on the newest against the tuned
    blend; a winner is refitted on every window. Needs two windows or more."""
    if len(windows) < 2 or not config.ranker.enabled:
        reason = "disabled" if not config.ranker.enabled else "fewer than 2 labelled windows before the holdout"
        return {}, {mode: {"used": False, "reason": reason} for mode in MODES}
    labelled = _windows_for(windows, config, newest, engine)
    blends = {mode: config.blend[mode] for mode in MODES}
    examples = [window_examples(window, blends) for window in labelled]
    names = labelled[0].inputs.signal_names
    judge = Judge(windows[0], config.evaluation.k)
    rankers, report = {}, {}
    for mode in MODES:
        teaching = Examples.join([e[mode] for e in examples[1:]])
        if len(teaching.groups) < MIN_RANKER_GROUPS or not judge.judges(mode):
            report[mode] = {"used": False, "reason": f"{len(teaching.groups)} customers with a purchase in their pool "
                                                     f"in the older windows; at least {MIN_RANKER_GROUPS} needed"}
            continue
        trial = fit_ranker(teaching, names, config.selection.seed)
        ids = ranked_lists(labelled[0].inputs, trial, windows[0].users, blends[mode], mode, config.evaluation.k)
        score = judge.lists_ndcg(ids, mode)
        gain = score / blend_ndcg[mode] - 1.0 if blend_ndcg[mode] > 0 else float("inf")
        used = gain > config.ranker.min_gain
        report[mode] = {"used": used, "ndcg": round(score, 5), "blend_ndcg": round(blend_ndcg[mode], 5),
                        "gain": round(gain, 4)}
        if used:
            rankers[mode] = fit_ranker(Examples.join([e[mode] for e in examples]), names, config.selection.seed)
            report[mode] |= {"trees": rankers[mode].n_trees_,
                             "importance": dict(list(rankers[mode].importance().items())[:12])}
    return rankers, report


def select(data: Dataset, config: TrainConfig, engine: Engine = LOCAL) -> Selection:
    """Choose the settings, blend and re-rankers for ``data`` (see the module docstring)."""
    if not config.selection.enabled:
        return Selection(config, report={"enabled": False})
    started = time.monotonic()
    windows = labelled_windows(data, config)
    if not windows:
        return Selection(config, report={"enabled": True, "skipped": "no labelled window before the holdout"})
    judge = Judge(windows[0], config.evaluation.k)
    budget = budget_seconds(config, len(data.time))
    point, trials = search_als(judge, config, budget, engine)
    chosen = merge(config, nested(point))
    half_life, decays = choose_purchase_decay(judge, chosen)
    chosen = merge(chosen, {"interactions": {"purchase_half_life_days": half_life}})
    judged_models = fit_models(judge.split.train, chosen, now=judge.split.cutoff, engine=engine)
    pooled = pooled_scores(judge, judged_models)
    blend, blend_ndcg, singles = {}, {}, {}
    for mode in MODES:
        if judge.judges(mode):
            blend[mode], blend_ndcg[mode], singles[mode] = tune_blend(judge, pooled, mode)
        else:  # nothing to learn from in this mode: the configured weights stay
            blend[mode], blend_ndcg[mode], singles[mode] = dict(config.blend[mode]), 0.0, {}
    chosen = merge(chosen, {"blend": blend})
    sessions = session_task(data, judge.split.cutoff, judged_models, chosen, end=judge.split.cutoff + _length(data, config),
                            max_sessions=SELECTION_SESSIONS)
    if sessions["positions"]:
        chosen = merge(chosen, {"session_weight": best_session_weight(sessions)})
    rankers, ranker_report = choose_rankers(windows, chosen, blend_ndcg, judged_models, engine)
    report = {
        "enabled": True,
        "windows": [{"cutoff": float(w.cutoff), "customers": int(len(w.users))} for w in windows],
        "budget_seconds": round(budget, 1),
        "als_trials": trials,
        "purchase_half_life_days": {"tried": decays, "chosen": half_life},
        "singles": singles,
        "blend": {mode: {"weights": blend[mode], "ndcg": round(blend_ndcg[mode], 5)} for mode in MODES},
        "ranker": ranker_report,
        "sessions": {**sessions, "chosen_weight": chosen.session_weight},
        "chosen": {mode: "ranker" if mode in rankers else "blend" for mode in MODES},
        "settings": {**nested(point), "interactions": {**nested(point).get("interactions", {}),
                                                         "purchase_half_life_days": half_life}, "blend": blend,
                     "session_weight": chosen.session_weight},
        "seconds": round(time.monotonic() - started, 1),
    }
    return Selection(chosen, rankers, report)


def report_text(report: dict) -> str:
    """The selection report as a few readable lines (``vitrine tune``)."""
    if not report.get("enabled") or "skipped" in report:
        return f"selection: {report.get('skipped', 'disabled')}"
    mode = report["als_trials"][0]["mode"].replace("_", " ")
    lines = [f"ALS trials (judging window NDCG, {mode}), in order tried:"]
    lines += [f"  {t['ndcg_als']:.4f}  {t['settings'] or 'current settings'}" for t in report["als_trials"]]
    decay = report["purchase_half_life_days"]
    lines.append(f"buy-again purchase half-life: {decay['chosen']} (tried {decay['tried']})")
    for mode in MODES:
        singles = ", ".join(f"{name} {value:.4f}" for name, value in report["singles"][mode].items())
        lines.append(f"{mode}: single signals {singles}")
        lines.append(f"  blend {report['blend'][mode]['ndcg']:.4f} with {report['blend'][mode]['weights']}")
        ranker = report["ranker"][mode]
        if "ndcg" in ranker:
            lines.append(f"  ranker {ranker['ndcg']:.4f} ({ranker['gain']:+.1%} against the blend): "
                         f"{'used' if ranker['used'] else 'not used'}")
        else:
            lines.append(f"  ranker not tried: {ranker['reason']}")
    sessions = report.get("sessions", {})
    if sessions.get("positions"):
        found = ", ".join(f"{name} {m['mrr@20']:.4f}" for name, m in sessions["metrics"].items())
        lines.append(f"live sessions ({sessions['positions']} positions, MRR@20): {found}; "
                     f"V-SKNN weight {sessions['chosen_weight']:g}")
    lines.append(f"chosen settings: {report['settings']}")
    return "\n".join(lines)
