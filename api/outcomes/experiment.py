"""An experiment's outcomes per exposed visitor: impressions and clicks of its placement while it
ran, and the orders and revenue attributed to those clicks (conversions up to the attribution
window after it stopped count, so the last day's clicks are not cut short)."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from recommender.experiments import Outcomes

from api.events.store import EventStore
from api.outcomes import queries
from api.outcomes.attribution import attribute


def experiment_outcomes(store: EventStore, exposures: list[tuple[str, str, float]], variants: list[str],
                        placement: str, started: float, stopped: float | None, window_hours: float) -> list[Outcomes]:
    """One ``Outcomes`` per variant (in ``variants``' order), one entry per exposed unit."""
    window = window_hours * 3600.0
    until = stopped if stopped is not None else time.time() + 1
    units = pd.DataFrame(exposures, columns=["unit", "variant", "at"]).drop_duplicates("unit")
    position = pd.Series(np.arange(len(units)), index=units["unit"].to_numpy())
    shown, clicks, conversions = queries.in_parallel(
        store, lambda connection: queries.shown(connection, placement, started, until),
        lambda connection: queries.clicks(connection, started, until, placement),
        lambda connection: queries.conversions(connection, started, until + window))
    per_unit = np.zeros((len(units), 4))
    shown_unit = _unit_of(shown, position)
    counts = shown["events"].to_numpy(np.float64)
    for column, kind in ((0, "impression"), (1, "click")):
        keep = (shown["type"] == kind).to_numpy() & (shown_unit >= 0)
        np.add.at(per_unit[:, column], shown_unit[keep], counts[keep])
    click_unit = _unit_of(clicks, position)
    click = attribute(clicks, conversions, window)
    bought = (conversions["type"] == "purchase").to_numpy() & (click >= 0)
    buyer = click_unit[click[bought]]
    known = buyer >= 0
    revenue = (conversions["price"].fillna(0) * conversions["quantity"].fillna(1)).to_numpy()[bought]
    np.add.at(per_unit[:, 3], buyer[known], revenue[known])
    orders = pd.DataFrame({"unit": buyer[known], "order": conversions["order_id"].fillna("").to_numpy()[bought][known]})
    counted = orders.drop_duplicates().groupby("unit").size()
    per_unit[counted.index.to_numpy(np.int64), 2] = counted.to_numpy()
    variant_of = units["variant"].to_numpy()
    return [Outcomes(*(per_unit[variant_of == name, k] for k in range(4))) for name in variants]


def _unit_of(events: pd.DataFrame, position: pd.Series) -> np.ndarray:
    """Each event's row among the exposed units: by visitor id, else by customer id (-1: neither)."""
    by_visitor = events["visitor_id"].map(position)
    by_user = events["user_id"].map(position)
    return by_visitor.fillna(by_user).fillna(-1).to_numpy(np.int64)
