"""``?debug=true``: each item of a list answer names the business rules that acted on it."""
from __future__ import annotations

import numpy as np

from recommender.engine import RecommendationEngine
from recommender.rules import RuleReranker


def with_rule_notes(body: dict, engine: RecommendationEngine, placement: str | None,
                    user_id: str | None = None) -> dict:
    """``body`` (a list answer) with ``rules: [{"id", "name", "action"}]`` on every item."""
    reranker = engine.reranker
    items = np.array([engine.item_index[item["item_id"]] for item in body["items"]], dtype=np.int64)
    touched = reranker.explain(items, engine.request_context(placement, user_id)) \
        if isinstance(reranker, RuleReranker) else [[] for _ in body["items"]]
    for item, rules in zip(body["items"], touched):
        item["rules"] = [{"id": rule.id, "name": rule.name, "action": rule.action} for rule in rules]
    return body
