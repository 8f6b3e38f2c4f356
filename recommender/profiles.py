"""Customer profiles as served: stage, live segments, RFM and predictions of every known customer.

Row ``i`` of every array describes user index ``i`` of the model version. The lookups speak
external ids: ``segments_of`` is what business rules match a rule's ``audience`` against, and
``members`` lists a segment best customers first (highest predicted 12-month value).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .id_index import IdIndex
from .lifecycle import STAGES
from .live_segments import LIVE_SEGMENTS, NO_CATEGORY
from .predictions import PREDICTIONS

AUDIENCES = STAGES + LIVE_SEGMENTS
ANONYMOUS_STAGE = "prospect"
OPTIONAL_ARRAYS = ("community",)  # versions trained before communities lack it
ARRAYS = ("stage", "rfm", "purchases", "orders", "spend", "recency_days", "last_purchase_time", "cart_abandoner",
          "browsing_category", *PREDICTIONS)


def audiences() -> tuple[str, ...]:
    """Every name a rule's audience may use: the lifecycle stages, then the live segments."""
    return AUDIENCES


def _number(value: float, digits: int) -> float | None:
    return round(float(value), digits) if np.isfinite(value) else None


@dataclass(frozen=True)
class CustomerProfiles:
    """Per-customer arrays (see ``ARRAYS``) plus the segment summary written at training time."""

    user_ids: np.ndarray
    category_names: np.ndarray
    arrays: dict[str, np.ndarray]
    summary: dict

    def __post_init__(self) -> None:
        missing = [name for name in ARRAYS if name not in self.arrays]
        if missing:
            raise ValueError(f"customer profiles lack {', '.join(missing)}")
        wrong = [name for name in ARRAYS if len(self.arrays[name]) != len(self.user_ids)]
        if wrong:
            raise ValueError(f"customer profiles {', '.join(wrong)} do not hold one row per user")

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {name: self.arrays[name] for name in (*ARRAYS, *OPTIONAL_ARRAYS) if name in self.arrays}

    @cached_property
    def communities(self) -> list[dict]:
        """Training's communities (empty for a version without them)."""
        return self.summary.get("communities", {}).get("groups", []) if "community" in self.arrays else []

    def community(self, index: int) -> dict | None:
        """The customer's community: ``id``, ``name`` and ``audience`` (``None`` without one)."""
        if not self.communities:
            return None
        label = int(self.arrays["community"][index])
        if label < 0:
            return None
        group = self.communities[label]
        return {"id": group["id"], "name": group["name"], "audience": group["audience"]}

    def audiences(self) -> tuple[str, ...]:
        """Every segment name of this version: stages, live segments and its communities."""
        return (*AUDIENCES, *(group["audience"] for group in self.communities))

    @cached_property
    def _index(self) -> IdIndex:
        return IdIndex(self.user_ids)

    def index_of(self, user_id: str | None) -> int:
        """The user index of ``user_id``, -1 for an unknown or anonymous (``None``) customer."""
        return self._index.get(user_id)

    def segment_of(self, user_id: str | None) -> str:
        """The lifecycle stage; unknown and anonymous visitors are prospects."""
        index = self.index_of(user_id)
        return ANONYMOUS_STAGE if index < 0 else STAGES[int(self.arrays["stage"][index])]

    def segments_of(self, user_id: str | None) -> tuple[str, ...]:
        """The stage first, then each live segment the customer is in."""
        index = self.index_of(user_id)
        if index < 0:
            return (ANONYMOUS_STAGE,)
        community = self.community(index)
        return (STAGES[int(self.arrays["stage"][index])], *self._live(index),
                *((community["audience"],) if community else ()))

    def _live(self, index: int) -> list[str]:
        flags = {"cart_abandoner": bool(self.arrays["cart_abandoner"][index]),
                 "browsing_interest": int(self.arrays["browsing_category"][index]) != NO_CATEGORY}
        return [name for name in LIVE_SEGMENTS if flags[name]]

    def members(self, name: str) -> np.ndarray:
        """User indices in stage, live segment or community ``name``, highest predicted value first
        (unknown values last, then by index). Raises ``KeyError`` for a name not in ``audiences()``."""
        return self._members[name]

    @cached_property
    def _members(self) -> dict[str, np.ndarray]:
        value = np.nan_to_num(self.arrays["predicted_value_12m"].astype(np.float64), nan=-np.inf)
        ranked = np.lexsort((np.arange(len(value)), -value))
        masks = {name: self.arrays["stage"] == code for code, name in enumerate(STAGES)}
        masks["cart_abandoner"] = self.arrays["cart_abandoner"].astype(bool)
        masks["browsing_interest"] = self.arrays["browsing_category"] != NO_CATEGORY
        for group in self.communities:
            masks[group["audience"]] = self.arrays["community"] == group["id"]
        return {name: ranked[mask[ranked]] for name, mask in masks.items()}

    def card(self, index: int) -> dict:
        """The short JSON form of one customer: stage, segments, RFM and the headline predictions."""
        a = self.arrays
        return {"user_id": str(self.user_ids[index]), "stage": STAGES[int(a["stage"][index])],
                "segments": self._live(index), "recency_days": self._recency(index),
                "orders": int(a["orders"][index]), "spend": round(float(a["spend"][index]), 2),
                "p_buy_30d": _number(a["p_buy_30d"][index], 4), "p_buy_90d": _number(a["p_buy_90d"][index], 4),
                "predicted_value_12m": _number(a["predicted_value_12m"][index], 2)}

    def profile(self, index: int) -> dict:
        """Everything known about one customer (favourite categories are the caller's)."""
        a = self.arrays
        r, f, m = (int(score) for score in a["rfm"][index])
        category = int(a["browsing_category"][index])
        last = a["last_purchase_time"][index]
        return {
            "user_id": str(self.user_ids[index]),
            "stage": STAGES[int(a["stage"][index])],
            "segments": self._live(index),
            "rfm": {"recency_days": self._recency(index), "frequency": int(a["orders"][index]),
                    "monetary": round(float(a["spend"][index]), 2), "purchase_days": int(a["purchases"][index]),
                    "r_score": r, "f_score": f, "m_score": m, "code": f"{r}{f}{m}"},
            "predictions": {name: _number(a[name][index], 4 if name.startswith("p_") else 2) for name in PREDICTIONS},
            "last_purchase": (str(np.datetime64(int(last), "s")) + "Z") if np.isfinite(last) else None,
            "browsing_interest": None if category == NO_CATEGORY else str(self.category_names[category]),
            "community": self.community(index),
        }

    def _recency(self, index: int) -> int | None:
        days = int(self.arrays["recency_days"][index])
        return None if days < 0 else days
