"""The Catalog page: search the products as rules see them (the model's catalog with the stored
updates over it) and change stock and price, which take effect at once without retraining.

Changes go through the same check and store as ``PUT /v1/catalog/items/{item_id}``."""
from __future__ import annotations

import math

import numpy as np
from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from recommender.errors import FieldError
from recommender.rules import check_attributes

from api.extension import served_model
from api.rules.cache import rules_cache
from api.console import bp
from api.console.rules import actor

PAGE_SIZE = 50
FIRST_COLUMNS = ("item_id", "title", "category", "price", "in_stock")


def _matches(table, query: str, category: str, stock: str) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    if query:
        needle = query.lower()
        hay = np.zeros(len(table), dtype=bool)
        for name, kind in table.kinds.items():
            if kind == "text":
                hay |= np.char.find(np.char.lower(table.columns[name].astype(str)), needle) >= 0
        keep &= hay
    if category:
        keep &= table.columns["category"] == category
    if stock in ("in", "out"):
        in_stock = table.present["in_stock"] & (table.columns["in_stock"] == 1)
        keep &= in_stock if stock == "in" else ~in_stock
    return np.flatnonzero(keep)


def _cell(table, name: str, row: int):
    if not table.present[name][row]:
        return None
    value = table.columns[name][row]
    kind = table.kinds[name]
    if kind == "bool":
        return bool(value)
    if kind == "number":
        return float(value)
    return str(value)


def _page(errors: dict | None = None, status_code: int = 200, query: str | None = None):
    """The catalog page; after a refused change, ``query`` is the product's id so its row shows."""
    served = served_model()
    cache = rules_cache()
    cache.refresh(force=True)  # the page right after a Save may come from another worker
    table = cache.table(served)
    query = request.values.get("q", "").strip()[:100] if query is None else query
    category = request.values.get("category", "")
    stock = request.values.get("stock", "")
    page = max(1, int(request.values["page"])) if request.values.get("page", "").isdigit() else 1
    rows = _matches(table, query, category, stock)
    rows = rows[np.argsort(table.item_ids[rows].astype(str), kind="stable")]
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(page, pages)
    columns = [*FIRST_COLUMNS, *sorted(set(table.kinds) - set(FIRST_COLUMNS))]
    shown = [{name: _cell(table, name, row) for name in columns} for row in rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    return render_template("console/catalog.html", items=shown, columns=columns, total=len(rows), page=page,
                           pages=pages, query=query, category=category, stock=stock, updated=cache.items,
                           categories=sorted(set(table.columns["category"].tolist()) - {""}), errors=errors or {},
                           page_title="Catalog"), status_code


@bp.get("/catalog")
def catalog():
    return _page()


@bp.post("/catalog/<path:item_id>")
def update_item(item_id: str) -> Response | tuple:
    """Set one product's price and stock from the row's form."""
    served = served_model()
    cache = rules_cache()
    if item_id not in cache.table(served).index:
        abort(404, f"product {item_id!r} is not in the catalog")
    raw_price = request.form.get("price", "").strip()
    try:
        price = float(raw_price) if raw_price else None
    except ValueError:
        return _page({item_id: f"price must be a number, got {raw_price[:20]!r}"}, 400, item_id)
    try:
        attributes = check_attributes({"price": price, "in_stock": request.form.get("in_stock") == "on"},
                                      cache.kinds(served), "attributes")
    except FieldError as exc:
        return _page({item_id: exc.message}, 400, item_id)
    cache.store.update_items({item_id: attributes}, actor())
    cache.refresh(force=True)
    flash(f"{item_id}: price {attributes['price'] if attributes['price'] is not None else 'cleared'}, "
          f"{'in stock' if attributes['in_stock'] else 'out of stock'}.")
    return redirect(url_for("console.catalog", q=request.form.get("q") or None,
                            category=request.form.get("category") or None, stock=request.form.get("stock") or None,
                            page=request.form.get("page") or None), 303)
