"""Read a product catalog (CSV, gzipped CSV, Parquet), or derive a minimal one from the events.

A catalog is small and written by hand or exported once, so any unreadable row fails the load with
a one-line ``DataError`` naming ``file:line``, rather than being counted and skipped as events are.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from recommender.rules.items import LINK_COLUMNS, is_link

from training.events import (
    DataError,
    as_ids,
    as_text,
    check_column_map,
    locate,
    missing_column,
    parse_numbers,
    read_columns,
    read_table,
    show,
)

CATALOG_COLUMNS = ("item_id", "title", "category", "price", "in_stock", *LINK_COLUMNS)
TEXT_COLUMNS = ("item_id", "title", "category", "in_stock", *LINK_COLUMNS)
DEFAULT_CATEGORY = "unknown"
IN_STOCK_WORDS = {
    **dict.fromkeys(["true", "t", "1", "yes", "y"], True),
    **dict.fromkeys(["false", "f", "0", "no", "n"], False),
}


def load_catalog(path: str | Path, column_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read ``path`` into the canonical catalog: the five canonical columns, ``url`` and
    ``image_url`` where the file has them, then every other column.

    ``column_map`` maps canonical names to file columns. Only ``item_id`` is required: a missing
    title is the item id, a missing category ``unknown``, a missing price NaN, ``in_stock`` True.
    A product page or image link must be an http(s) URL or a site path (``/img/p1.jpg``).
    """
    path = Path(path)
    sources = _catalog_sources(path, check_column_map(column_map or {}, CATALOG_COLUMNS))
    text = [sources[name] for name in TEXT_COLUMNS if name in sources]
    table = read_table(path, None, text)
    items = as_ids(table[sources["item_id"]])
    _fail_at(path, table, sources["item_id"], items.isna().to_numpy(), "missing item id")
    _fail_at(path, table, sources["item_id"], items.duplicated().to_numpy(), "repeated item id")
    catalog = pd.DataFrame(
        {
            "item_id": items.astype(object),
            "title": _text_or(table, sources.get("title"), items),
            "category": _text_or(table, sources.get("category"), DEFAULT_CATEGORY),
            "price": _prices(path, table, sources.get("price")),
            "in_stock": _in_stock(path, table, sources.get("in_stock")),
        }
    )
    for name in LINK_COLUMNS:
        if name in sources:
            catalog[name] = _links(path, table, sources[name])
    extras = table.drop(columns=[*sources.values(), *CATALOG_COLUMNS], errors="ignore")
    return pd.concat([catalog, extras], axis=1)


def derive_catalog(events: pd.DataFrame, titles: pd.Series | None = None) -> pd.DataFrame:
    """A minimal catalog of the items in canonical ``events``, for stores without a catalog file.

    The price is the median positive price paid; the title comes from ``titles`` (item id -> title,
    as a preset such as online-retail reports it) or is the item id.
    """
    positive = events["price"].where(events["price"] > 0)
    prices = positive.groupby(events["item_id"].to_numpy(object), sort=True).median()
    items = pd.Series(prices.index.to_numpy(object), dtype=object)
    named = items if titles is None else items.map(titles).astype(object).fillna(items)
    return pd.DataFrame(
        {
            "item_id": items,
            "title": named.copy(),
            "category": pd.Series(DEFAULT_CATEGORY, index=items.index, dtype=object),
            "price": prices.to_numpy(dtype="float64"),
            "in_stock": True,
        }
    )


def _catalog_sources(path: Path, requested: dict[str, str]) -> dict[str, str]:
    """Canonical name -> file column; ``item_id`` and every mapped column must be in the file."""
    found = read_columns(path)
    sources = {}
    for name in CATALOG_COLUMNS:
        source = requested.get(name, name)
        if source in found:
            sources[name] = source
        elif name == "item_id" or name in requested:
            raise missing_column(path, name, source, found)
    return sources


def _text_or(table: pd.DataFrame, column: str | None, default: pd.Series | str) -> pd.Series:
    """The column as text, with ``default`` (a value or one per row) where it is missing."""
    if column is None:
        values = pd.Series(np.nan, index=table.index, dtype=object)
    else:
        values = as_text(table[column]).astype(object)
    return values.fillna(default).astype(object)


def _prices(path: Path, table: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(table), np.nan)
    prices, unreadable = parse_numbers(table[column])
    _fail_at(path, table, column, unreadable, "non-numeric price")
    _fail_at(path, table, column, (prices < 0).to_numpy(), "negative price")
    return prices.to_numpy()


def _links(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    """Links as text (``None`` where empty); anything but an http(s) URL or a site path fails."""
    links = as_text(table[column]).astype(object)
    links = links.where(links.notna(), None)
    bad = np.array([link is not None and not is_link(link) for link in links], dtype=bool)
    _fail_at(path, table, column, bad, "not an http(s) URL or a /path")
    return links


def _in_stock(path: Path, table: pd.DataFrame, column: str | None) -> np.ndarray:
    """true/false, 1/0, yes/no (any case) as booleans; an empty cell means in stock."""
    if column is None:
        return np.ones(len(table), dtype=bool)
    words = as_ids(table[column]).str.lower()
    flags = words.map(IN_STOCK_WORDS)
    _fail_at(path, table, column, (flags.isna() & words.notna()).to_numpy(), "not true/false")
    return flags.fillna(True).to_numpy(dtype=bool)


def _fail_at(path: Path, table: pd.DataFrame, column: str, mask: np.ndarray, reason: str) -> None:
    """``DataError`` naming the first row of ``mask``, if any."""
    if mask.any():
        row = int(np.flatnonzero(mask)[0])
        raise DataError(f"{locate(path, row)}: {column}: {reason} ({show(table[column].iloc[row])})")
