"""Known event-file layouts, as data: how each maps onto the canonical event table.

A preset is a column map plus a few cleaning rules that only make sense for one source.
``training.events.load_events`` applies them; every row a rule leaves out is counted in its report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Preset:
    """How to read one file layout.

    ``column_map`` maps canonical names to the file's columns. ``event`` is a constant event for
    layouts without an event column. ``cancel_prefix`` marks cancelled orders by their order id.
    ``non_product`` is a regular expression (full match, case-insensitive) for item codes that are
    fees, postage or adjustments rather than products. ``upper_case_items`` merges item codes that
    differ only by case. ``drop_zero_price`` and ``drop_duplicates`` exclude zero-price lines and
    exact repeats of a line.
    """

    name: str
    description: str
    column_map: Mapping[str, str] = field(default_factory=dict)
    event: str | None = None
    cancel_prefix: str | None = None
    non_product: str | None = None
    upper_case_items: bool = False
    drop_zero_price: bool = False
    drop_duplicates: bool = False


CANONICAL = Preset("canonical", "the canonical layout: timestamp, user_id, item_id, event, ...")

ONLINE_RETAIL_FEES = r"POST|DOT|M|C2|D|S|B|CRUK|PADS|BANK CHARGES|AMAZONFEE|gift_0001_\d+"

PRESETS: dict[str, Preset] = {
    "online-retail": Preset(
        name="online-retail",
        description="UCI Online Retail: one purchase line per row, the invoice is the order",
        column_map={
            "order_id": "InvoiceNo",
            "item_id": "StockCode",
            "title": "Description",
            "quantity": "Quantity",
            "timestamp": "InvoiceDate",
            "price": "UnitPrice",
            "user_id": "CustomerID",
        },
        event="purchase",
        cancel_prefix="C",
        non_product=ONLINE_RETAIL_FEES,
        upper_case_items=True,
        drop_zero_price=True,
        drop_duplicates=True,
    ),
    "otto": Preset(
        name="otto",
        description="OTTO sessions: session, aid, ts (ms), type (clicks, carts, orders)",
        column_map={"user_id": "session", "item_id": "aid", "timestamp": "ts", "event": "type"},
    ),
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; a bad name raises ``ValueError`` listing the available ones."""
    try:
        return PRESETS[name]
    except KeyError:
        available = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown preset {name!r}; available presets: {available}") from None
