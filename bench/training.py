"""Training wall time and peak memory per stage at three demo-store scales and on real data.

Each run is a separate `vitrine train` process, so its peak memory is its own. implicit's ALS
alone is timed in the same run as a reference for what the rest of the pipeline adds.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from training.evaluation import format_table
from training.pipeline import STAGES
from bundle.publish import read_current

SCALES = {"100k": (3_300, 1_000), "1M": (33_000, 5_000), "10M": (330_000, 20_000)}
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
VITRINE = [sys.executable, "-m", "cli"]


def _train(args: list[str], models_dir: Path) -> tuple[dict, float]:
    start = time.perf_counter()
    subprocess.run(VITRINE + ["train", *args, "--models-dir", str(models_dir), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    manifest = json.loads((read_current(models_dir) / "manifest.json").read_text())
    return manifest, wall


def _row(name: str, manifest: dict, wall: float) -> str:
    seconds = manifest["timings"]["seconds"]
    peak = max(manifest["timings"]["peak_rss_mib"].values())
    stages = " | ".join(f"{seconds.get(s, 0):.1f}" for s in STAGES)
    data = manifest["data"]
    return (f"| {name} | {data['events']:,} | {data['users']:,} | {data['items']:,} | {stages} | "
            f"{wall:.1f} | {peak:,.0f} |")


def als_reference() -> str:
    """implicit's ALS alone on 1.3M random interactions, 64 factors, 10 iterations."""
    rng = np.random.default_rng(0)
    users, items, nnz = 100_000, 20_000, 1_300_000
    matrix = sp.csr_matrix((np.ones(nnz, np.float32), (rng.integers(users, size=nnz), rng.integers(items, size=nnz))),
                           shape=(users, items))
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=64, iterations=10, random_state=0)
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
    return f"implicit ALS alone, {matrix.nnz:,} interactions, 64 factors, 10 iterations: {time.perf_counter() - start:.1f} s"


def export_rate(models: Path, out: Path, include_purchased: bool) -> float:
    """``vitrine export --all`` users/s as it reports them."""
    extra = ["--include-purchased"] if include_purchased else []
    output = subprocess.run(VITRINE + ["export", "--all", "--n", "6", "--placement", "email", "--models-dir", str(models),
                                       "--out", str(out), "--quiet", *extra], check=True, capture_output=True,
                            text=True).stdout
    return float(re.search(r"\(([\d,]+) users/s\)", output).group(1).replace(",", ""))


def recency_buy_again(half_life_days: float = 90.0) -> dict[str, float]:
    """The issue's peer on Online Retail: "buy again" with purchase lines weighted by recency
    (half-life 90 days), on the same split as the training run's holdout, NDCG@10 per mode."""
    from recommender.metrics import ranking_metrics
    from recommender.ranking import top_n
    from training.config import config_from_dict
    from training.dataset import build_dataset, interaction_matrices
    from training.evaluation import resolve_cutoff, split_by_time
    from training.pipeline import TrainInput, load_input

    config = config_from_dict({"evaluation": {"cutoff": "2011-11-01"},
                               "interactions": {"purchase_half_life_days": half_life_days}})
    events, catalog, _ = load_input(TrainInput(REAL, preset="online-retail"), config)
    data = build_dataset(events, catalog, config.basket_gap_hours)
    split = split_by_time(data, resolve_cutoff(data, config), config.evaluation.max_users)
    purchases = interaction_matrices(split.train, split.cutoff, config.interactions)[1][split.users]
    bought = split.train.event == 2
    popularity = np.bincount(split.train.item[bought], minlength=data.n_items).astype(np.float32)
    scores = purchases.toarray() + 1e-6 * popularity / max(popularity.max(), 1)
    out = {}
    for mode in ("new_items", "all_purchases"):
        ids = top_n(scores, 10, split.bought_before if mode == "new_items" else None)[0]
        out[mode] = ranking_metrics(ids, split.relevant[mode], k=10)["ndcg@10"]
    return out


def objective_tradeoff(config_dict: dict, floors: tuple[float, ...] = (0.8, 0.5, 0.2)) -> str:
    """Online Retail, all-purchases mode: the tuned blend's best 50 per customer re-ordered by
    expected revenue (score × price × units per order, as the rules' revenue objective does) above
    a relevance floor, against relevance order.
    revenue@10 is each test customer's spend after the cut-off on the items of their top 10."""
    import scipy.sparse as sp

    from recommender.blend import BlendModel
    from recommender.history import UserHistory
    from recommender.metrics import ranking_metrics
    from recommender.objectives import by_expected_value, item_values
    from recommender.ranking import top_n
    from training.config import config_from_dict
    from training.dataset import build_dataset, units_per_order
    from training.evaluation import resolve_cutoff, split_by_time
    from training.models import fit_models, signals
    from training.pipeline import TrainInput, load_input
    from training.ranking import unit_prices

    config = config_from_dict({key: value for key, value in config_dict.items()})
    events, catalog, _ = load_input(TrainInput(REAL, preset="online-retail"), config)
    data = build_dataset(events, catalog, config.basket_gap_hours)
    split = split_by_time(data, resolve_cutoff(data, config), config.evaluation.max_users)
    models = fit_models(split.train, config, now=split.cutoff)
    available = signals(models)
    blend = BlendModel(available, {n: w for n, w in config.blend["all_purchases"].items() if n in available})
    scores = blend.score_users(UserHistory.of(split.users, models.confidence, models.purchases))
    pool, pool_scores = top_n(scores, 50)
    after = (data.time >= split.cutoff) & (data.event == 2) & (data.user >= 0)
    spent = sp.csr_matrix((data.revenue[after], (data.user[after], data.item[after])),
                          shape=(data.n_users, data.n_items))[split.users]
    per_order = units_per_order(split.train)
    price = unit_prices(split.train)
    prices = item_values(price, ~np.isnan(price)) * item_values(per_order, ~np.isnan(per_order))

    def judge(ids: np.ndarray) -> tuple[float, float]:
        ndcg = ranking_metrics(ids, split.relevant["all_purchases"], k=10)["ndcg@10"]
        judged = np.diff(split.relevant["all_purchases"].indptr) > 0
        revenue = np.asarray(spent[np.arange(len(ids))[:, None], ids].sum(axis=1)).ravel()
        return ndcg, float(revenue[judged].mean())

    base_ndcg, base_revenue = judge(pool[:, :10])
    lines = ["| objective | relevance floor | NDCG@10 | vs relevance | revenue@10 per customer | vs relevance |",
             "|---|---|---|---|---|---|", f"| relevance | — | {base_ndcg:.4f} | 1.00× | {base_revenue:,.2f} | 1.00× |"]
    for floor in floors:
        ids = np.vstack([row[by_expected_value(s, prices[row], floor)[0]][:10] for row, s in zip(pool, pool_scores)])
        ndcg, revenue = judge(ids)
        lines.append(f"| revenue | {floor} | {ndcg:.4f} | {ndcg / base_ndcg:.2f}× | {revenue:,.2f} | "
                     f"{revenue / base_revenue:.2f}× |")
    return "\n".join(lines)


def versus_peers(metrics: dict, peers: dict[str, dict[str, float]], target: float = 1.10) -> str:
    """Per mode: the served model (ranker where selection kept it, else the blend) against the best
    single signal of the same run and the named peers."""
    lines = ["| mode | served model | NDCG@10 | best single signal | its NDCG@10 | ratio | best peer | ratio | "
             f"target ≥ {target:.2f}× |", "|---|---|---|---|---|---|---|---|---|"]
    for mode, by_model in metrics.items():
        served = "ranker" if "ranker" in by_model else "blend"
        value = by_model[served]["ndcg@10"]
        singles = {name: m["ndcg@10"] for name, m in by_model.items() if name not in ("blend", "ranker")}
        best = max(singles, key=singles.get)
        peer_name, peer = max(((name, scores[mode]) for name, scores in peers.items()), key=lambda pair: pair[1])
        strongest = max(singles[best], peer)
        lines.append(f"| {mode} | {served} | {value:.4f} | {best} | {singles[best]:.4f} | {value / singles[best]:.2f}× | "
                     f"{peer_name} {peer:.4f} | {value / peer:.2f}× | "
                     f"{'met' if value >= target * strongest else '**missed**'} |")
    return "\n".join(lines)


def session_summary(manifest: dict) -> str:
    """The holdout's session task: HR@20 and MRR@20 of each model."""
    sessions = manifest["evaluation"]["sessions"]
    names = {"session_knn": "V-SKNN", "als_fold_in": "ALS fold-in", "copurchase": "co-purchase",
             "popularity": "popularity"}
    served = manifest["config"]["session_weight"]
    rows = [f"| {label} | {sessions['metrics'][key]['hr@20']:.4f} | {sessions['metrics'][key]['mrr@20']:.4f} |"
            for key, label in names.items()]
    key = f"blend@{served:g}"
    if key in sessions["metrics"]:
        rows.append(f"| ALS fold-in + V-SKNN × {served:g} (the weight selection chose) | "
                    f"{sessions['metrics'][key]['hr@20']:.4f} | {sessions['metrics'][key]['mrr@20']:.4f} |")
    return "\n".join([f"{sessions['sessions']} sessions after the cut-off, {sessions['positions']} positions "
                      "(next item after each prefix, first 11 items of a session):", "",
                      "| model | HR@20 | MRR@20 |", "|---|---|---|", *rows])


def selection_summary(manifest: dict) -> str:
    from training.selection import report_text

    return "\n".join(["```", report_text(manifest["selection"]), "```"])


def annoy_summary(manifest: dict) -> str:
    lines = ["| index | vectors | search | search_k tried (recall@10) | reason |", "|---|---|---|---|---|"]
    for name, info in manifest["annoy"].items():
        tried = ", ".join(f"{k:,} ({r:.3f})" for k, r in info["tried"])
        lines.append(f"| {name} | {info['n_items']:,} | {info['search']} | {tried} | {info.get('reason', '—')} |")
    return "\n".join(lines)


def longtail(tmp: Path) -> tuple[str, dict, str]:
    """Train on the synthetic long-tail store; its table row, manifest and export rates."""
    from . import longtail as store

    events, catalog = store.write(tmp / "longtail")
    manifest, wall = _train(["--events", str(events), "--catalog", str(catalog)], tmp / "models-longtail")
    rates = {flag: export_rate(tmp / "models-longtail", tmp / "picks.csv", flag) for flag in (False, True)}
    exports = (f"`vitrine export --all --n 6 --placement email` on the long-tail store: {rates[False]:,.0f} users/s "
               f"for discovery picks, {rates[True]:,.0f} users/s with `--include-purchased` "
               f"(target ≥ 5,000: {'met' if rates[True] >= 5000 else '**missed**'}).")
    return _row("long-tail 100k products", manifest, wall), manifest, exports


def run() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, (users, items) in SCALES.items():
            demo = tmp / f"demo-{name}"
            subprocess.run(VITRINE + ["demo-data", "--users", str(users), "--items", str(items), "--out", str(demo)],
                           check=True, stdout=subprocess.DEVNULL)
            manifest, wall = _train(["--events", str(demo / "events.csv"), "--catalog", str(demo / "catalog.csv")],
                                    tmp / f"models-{name}")
            rows.append(_row(f"demo {name}", manifest, wall))
        real, wall = _train(["--events", str(REAL), "--preset", "online-retail", "--cutoff", "2011-11-01"],
                            tmp / "models-real")
        rows.append(_row("Online Retail", real, wall))
        long_row, long_manifest, exports = longtail(tmp)
        rows.append(long_row)
    peers = {"recency-weighted buy again (half-life 90 d)": recency_buy_again()}
    header = ("| data | events | users | items | " + " | ".join(f"{s} s" for s in STAGES)
              + " | total wall s | peak RSS MiB |\n" + "|---" * (len(STAGES) + 6) + "|")
    return "\n".join([
        "## Training", "",
        "Command: `make bench` (runs `vitrine train` once per data set, each in its own process).",
        "Stages: load (read and validate files), dataset (ids → indices), select (model selection on labelled",
        "windows before the holdout: ALS search within its time budget, buy-again decay, blend weights, learned",
        "re-rankers; docs/training.md), evaluate (fit on the holdout's training part and score every single",
        "signal, the blend and the kept rankers), fit (ALS, co-purchase, item-kNN, EASE over the catalog's",
        "head, popularity), profiles (customer stages, RFM, predictions), artifacts (files, Annoy indexes with",
        "recall check, stored lists re-ranked). Total wall time includes starting Python and the atomic switch",
        "of `models/CURRENT`. The long-tail store is `bench/longtail.py` (synthetic, grocery-like: 100,000",
        "products in 200 aisles, 40,000 customers re-buying staples).", "",
        header, *rows, "", als_reference(), "",
        "### Online Retail against the best single signal and the peers (train < 2011-11-01, test = later "
        "purchases of known customers)", "",
        versus_peers(real["metrics"], peers), "",
        "```", format_table(real["metrics"]), "```", "",
        "Model selection in that run (the judging window is the holdout's length just before it; the holdout "
        "is never seen):", "", selection_summary(real), "",
        "### The session task on Online Retail (invoices as sessions)", "", session_summary(real), "",
        "### Business objectives on Online Retail (all purchases, the tuned blend's best 50 re-ordered; "
        "`objective = revenue` in a placement's settings)", "", objective_tradeoff(real["config"]), "",
        "### Long-tail store (100k products)", "",
        _long_table(long_manifest), "",
        "```", format_table(long_manifest["metrics"]), "```", "",
        "Annoy on the long-tail store (search_k never above a linear scan; exact search where recall stops "
        "short of the target):", "", annoy_summary(long_manifest), "", exports, "",
        selection_summary(long_manifest),
    ])


def _long_table(manifest: dict) -> str:
    lines = ["| mode | served model | NDCG@10 | best single signal | its NDCG@10 | ratio | at least as good |",
             "|---|---|---|---|---|---|---|"]
    for mode, by_model in manifest["metrics"].items():
        served = "ranker" if "ranker" in by_model else "blend"
        singles = {name: m["ndcg@10"] for name, m in by_model.items() if name not in ("blend", "ranker")}
        best = max(singles, key=singles.get)
        value = by_model[served]["ndcg@10"]
        lines.append(f"| {mode} | {served} | {value:.4f} | {best} | {singles[best]:.4f} | {value / singles[best]:.2f}× | "
                     f"{'yes' if value >= singles[best] else '**no**'} |")
    return "\n".join(lines)
