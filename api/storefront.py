"""The storefront widget (``/widget.js``) and a small demo shop over the served catalog (``/demo/store``).

The demo shop is what a newcomer sees after ``make run``: a home page, product pages and a cart,
each with a widget placeholder, exactly as a real store would paste it. The cart lives in a plain
cookie (item ids, comma-separated); "shop as" a customer id is a cookie too, so personalized
picks can be tried. Nothing here is private: the pages only read the served model's catalog.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, render_template, request, send_from_directory, url_for

from api.demo_pictures import product_svg
from api.extension import served_model
from api.rules.cache import rules_cache

bp = Blueprint("storefront", __name__)
STATIC = Path(__file__).parent / "static"
CART_COOKIE, USER_COOKIE = "vitrine_demo_cart", "vitrine_demo_user"
MAX_CART, PAGE_SIZE = 20, 24
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@bp.get("/widget.js")
def widget() -> Response:
    response = send_from_directory(STATIC, "widget.js", mimetype="text/javascript", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"  # a plain script: any store may load it
    return response


def _catalog() -> dict[str, dict]:
    """The served catalog with the merchant's updates (stock, prices) applied."""
    return rules_cache().catalog(served_model())


def _cart() -> list[str]:
    raw = request.cookies.get(CART_COOKIE, "")
    known = _catalog()
    return [item for item in dict.fromkeys(raw.split(",")) if item in known][:MAX_CART]


def _shopper() -> str:
    user = request.cookies.get(USER_COOKIE, "")
    return user if _ID.match(user) else ""


def _page(template: str, **context) -> str:
    served = served_model()
    categories = sorted({str(row.get("category") or "") for row in _catalog().values()} - {""})
    return render_template(template, cart=_cart(), shopper=_shopper(), categories=categories,
                           sample_users=served.version.model.user_ids[:5].tolist(),
                           **context)


@bp.get("/demo/store")
def home() -> str:
    category = request.args.get("category") or None
    rows = [row for row in _catalog().values() if category is None or row.get("category") == category]
    return _page("store/home.html", products=rows[:PAGE_SIZE], category=category)


@bp.get("/demo/store/product/<path:item_id>")
def product(item_id: str) -> str:
    row = _catalog().get(item_id)
    if row is None:
        abort(404, f"no product {item_id!r} in the demo catalog")
    return _page("store/product.html", product=row)


@bp.get("/demo/store/images/<item_id>.svg")
def picture(item_id: str) -> Response:
    """The demo catalog's generated product picture (``image_url`` of ``vitrine demo-data``)."""
    row = _catalog().get(item_id)
    if row is None:
        abort(404, f"no product {item_id!r} in the demo catalog")
    svg = product_svg(item_id, str(row.get("title") or item_id), str(row.get("category") or ""),
                      str(row.get("brand") or ""))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/demo/store/cart")
def cart() -> str:
    catalog = _catalog()
    items = [catalog[item] for item in _cart()]
    total = sum(float(row.get("price") or 0) for row in items)
    return _page("store/cart.html", items=items, total=total)


@bp.post("/demo/store/cart")
def change_cart() -> Response:
    """``action=add|remove`` with ``item_id``, or ``action=clear``; the cart is a cookie, so this is
    only a demo (no account); a product out of stock is not added."""
    items, item = _cart(), request.form.get("item_id", "")
    action = request.form.get("action")
    product = _catalog().get(item)
    if action == "add" and product is not None and product.get("in_stock") is not False and item not in items:
        items = [*items, item][-MAX_CART:]
    elif action == "remove":
        items = [other for other in items if other != item]
    elif action == "clear":
        items = []
    response = redirect(url_for("storefront.cart"), 303)
    response.set_cookie(CART_COOKIE, ",".join(items), max_age=7 * 86_400, samesite="Lax", httponly=True)
    return response


@bp.post("/demo/store/shopper")
def choose_shopper() -> Response:
    """Browse as a customer id (empty: an anonymous visitor)."""
    user = request.form.get("user_id", "").strip()
    response = redirect(request.form.get("next") if _safe_next(request.form.get("next")) else
                        url_for("storefront.home"), 303)
    if user and _ID.match(user):
        response.set_cookie(USER_COOKIE, user, max_age=7 * 86_400, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(USER_COOKIE)
    return response


def _safe_next(target: str | None) -> bool:
    return bool(target) and target.startswith("/demo/store") and "//" not in target and "\\" not in target
