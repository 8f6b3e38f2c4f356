"""What each segment is worth: size, revenue, order value, predicted value, what its members buy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Purchases:
    """Per-customer totals, predicted values and the purchase lines behind them (customer and item of each)."""

    spend: np.ndarray
    orders: np.ndarray
    predicted_value: np.ndarray
    line_user: np.ndarray
    line_item: np.ndarray
    item_category: np.ndarray


def _top(counts: np.ndarray, n: int) -> list[int]:
    order = np.lexsort((np.arange(len(counts)), -counts))[:n]
    return [int(i) for i in order if counts[i] > 0]


def group_metrics(members: np.ndarray, data: Purchases, top_n: int = 5) -> dict:
    """Metrics of the customers where ``members`` is true; shares are of all customers and revenue.

    Money is rounded to cents; ``top_items``/``top_categories`` are indices, most purchase lines first.
    """
    size = int(members.sum())
    revenue = float(data.spend[members].sum())
    orders = int(data.orders[members].sum())
    total_revenue = float(data.spend.sum())
    lines = members[data.line_user]
    items = np.bincount(data.line_item[lines], minlength=len(data.item_category))
    categories = np.bincount(data.item_category, weights=items, minlength=int(data.item_category.max(initial=0)) + 1)
    predicted = data.predicted_value[members]
    predicted = predicted[np.isfinite(predicted)]
    return {
        "customers": size,
        "customer_share": _share(size, len(members)),
        "revenue": round(revenue, 2),
        "revenue_share": _share(revenue, total_revenue),
        "orders": orders,
        "average_order_value": round(revenue / orders, 2) if orders else None,
        "value_per_customer": round(revenue / size, 2) if size else None,
        "predicted_value_12m": round(float(predicted.mean()), 2) if len(predicted) else None,
        "predicted_value_12m_total": round(float(predicted.sum()), 2) if len(predicted) else None,
        "top_items": _top(items, top_n),
        "top_categories": _top(categories, top_n),
    }


def repeat_revenue_share(spend: np.ndarray, purchases: np.ndarray) -> float | None:
    """Share of revenue from customers who bought on two or more days."""
    return _share(float(spend[purchases >= 2].sum()), float(spend.sum()))


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None
