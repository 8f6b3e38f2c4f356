"""The Model page: the served version, its data, its holdout evaluation as a table and a chart, and
the bought-together pairs with the highest lift, searchable by product."""
from __future__ import annotations

import numpy as np
from flask import render_template, request

from api.extension import served_model, vitrine
from api.serving.model_store import Served
from api.console import bp
from api.reports.grouped_bars import grouped_bars

MODES = {"new_items": "new items", "all_purchases": "all purchases"}
METRICS = ("ndcg@10", "precision@10", "recall@10", "map@10", "hit_rate@10", "coverage@10")
PAIR_LIMIT = 50
VERDICT_METRIC = "recall@10"  # the share of the next purchases the ten picks held: what the verdict says
BASELINE = "popularity"
AT_PAR = 1.05  # picks within 5 % of best sellers are "no better" in the verdict
MODEL_WORDS = {"popularity": "best sellers", "trending": "trending now", "buy_again": "buy again",
               "copurchase": "bought together", "item_knn": "similar products", "ease": "EASE", "als": "ALS",
               "blend": "Vitrine picks", "ranker": "Vitrine picks, re-ranked"}
METRIC_WORDS = {"recall@10": "share of the next purchases the ten picks held (recall@10)"}


def served_model_name(manifest: dict, mode: str) -> str:
    """Which evaluated model answers in this mode: the re-ranker where training kept one, else the blend."""
    return (manifest.get("candidates") or {}).get(mode, "blend")


def verdicts(manifest: dict) -> list[dict]:
    """Per evaluated mode, the served picks against best sellers in plain words: the ratio of
    next purchases found, and what the numbers mean."""
    found = []
    for mode, models in (manifest.get("metrics") or {}).items():
        served = served_model_name(manifest, mode)
        if served not in models or BASELINE not in models:
            continue
        picks, base = models[served].get(VERDICT_METRIC) or 0.0, models[BASELINE].get(VERDICT_METRIC) or 0.0
        ratio = picks / base if base > 0 else None
        found.append({"mode": mode, "served": served, "picks": picks, "base": base, "ratio": ratio,
                      "better": ratio is None and picks > 0 or ratio is not None and ratio >= AT_PAR})
    return found


def evaluation_rows(metrics: dict) -> dict[str, list[dict]]:
    """Per mode, one row per evaluated model with its metrics and which of them is the column's best."""
    tables = {}
    for mode, models in (metrics or {}).items():
        best = {metric: max((values.get(metric, float("-inf")) for values in models.values()), default=None)
                for metric in METRICS}
        tables[mode] = [{"model": name, "values": values,
                         "best": {m for m in METRICS if values.get(m) is not None and values.get(m) == best[m]}}
                        for name, values in models.items()]
    return tables


def top_pairs(served: Served, query: str = "", limit: int = PAIR_LIMIT) -> list[dict]:
    """Unordered product pairs by lift (ties: more shared baskets first), optionally only pairs where
    one side's id, title or category contains ``query`` (case-insensitive)."""
    model = served.version.model
    copurchase = model.copurchase
    lift = copurchase.lift_.tocoo()
    counts = copurchase.counts_.tocoo().data
    first, second = np.minimum(lift.row, lift.col), np.maximum(lift.row, lift.col)
    keep = np.ones(len(first), dtype=bool)
    if query:
        needle = query.lower()
        text = np.char.lower(np.char.add(np.char.add(model.item_ids.astype(str), " "),
                                         np.char.add(model.titles.astype(str), " ")))
        text = np.char.add(text, np.char.lower(model.category_names[model.item_category].astype(str)))
        matches = np.char.find(text, needle) >= 0
        keep = matches[first] | matches[second]
    order = np.flatnonzero(keep)
    order = order[np.lexsort((first[order], second[order], -counts[order], -lift.data[order]))]
    _, unique = np.unique(first[order] * len(model.item_ids) + second[order], return_index=True)
    order = order[np.sort(unique)][:limit]
    pairs = []
    for k in order.tolist():
        a, b = int(first[k]), int(second[k])
        pairs.append({"a": _item(served, a), "b": _item(served, b), "lift": float(lift.data[k]),
                      "count": float(counts[k]), "support": float(copurchase.support_[a, b] or copurchase.support_[b, a]),
                      "confidence_ab": float(copurchase.confidence_[a, b]),
                      "confidence_ba": float(copurchase.confidence_[b, a])})
    return pairs


def _item(served: Served, index: int) -> dict:
    item_id = str(served.version.model.item_ids[index])
    title, category = served.labels.get(item_id, (item_id, ""))
    return {"item_id": item_id, "title": title, "category": category}


@bp.get("/model")
def model() -> str:
    served = served_model()
    manifest = served.version.manifest
    metric = request.args.get("metric", VERDICT_METRIC)
    metric = metric if metric in METRICS else VERDICT_METRIC
    metrics = manifest.get("metrics") or {}
    rows = [MODEL_WORDS.get(name, name) for name in next(iter(metrics.values()), {})]
    chart = grouped_bars(rows, {MODES.get(mode, mode): {MODEL_WORDS.get(name, name): values.get(metric)
                                                        for name, values in models.items()}
                                for mode, models in metrics.items()},
                         f"{METRIC_WORDS.get(metric, metric)}, per way of picking, on data the model did not see")
    query = request.args.get("q", "").strip()[:100]
    refused = vitrine().store.refused
    return render_template("console/model.html", served=served, manifest=manifest, data=manifest.get("data") or {},
                           evaluation=manifest.get("evaluation") or {}, tables=evaluation_rows(metrics), modes=MODES,
                           metrics=METRICS, metric=metric, chart=chart, pairs=top_pairs(served, query), query=query,
                           refused=refused, verdicts=verdicts(manifest), page_title="Model")
