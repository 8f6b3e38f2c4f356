"""Customer profiles, lifecycle segments and their report, from the served version's profiles."""
from __future__ import annotations

import numpy as np
from flask import Blueprint, Response, current_app, request

from recommender.lifecycle import STAGES
from recommender.live_segments import LiveMembership, Member
from recommender.profiles import AUDIENCES, CustomerProfiles

from api.errors import APIError
from api.events import events
from api.rules.cache import rules_cache
from api.extension import served_model
from api.serving.model_store import Served
from api.paging import make_cursor, read_cursor
from api.reports.customer_report import render_report
from api.schema.validation import query_limit, query_text

bp = Blueprint("customers", __name__)
FAVOURITE_CATEGORIES = 3


def _profiles(served: Served) -> CustomerProfiles:
    profiles = served.version.profiles
    if profiles is None:
        raise APIError(404, "no_profiles", f"model version {served.name} has no customer profiles: train it again")
    return profiles


def favourite_categories(served: Served, index: int, n: int = FAVOURITE_CATEGORIES) -> list[str]:
    """The categories a customer interacted with most, by the model's interaction weights."""
    model = served.version.model
    row = model.confidence[index]
    weights = np.bincount(model.item_category[row.indices], weights=row.data, minlength=len(model.category_names))
    top = np.lexsort((np.arange(len(weights)), -weights))[:n]
    return [str(model.category_names[c]) for c in top if weights[c] > 0]


@bp.get("/v1/users/<path:user_id>/profile")
def profile(user_id: str) -> dict:
    """Stage, live segments (since when and why), RFM, predictions, favourite categories and last
    purchase of one customer, brought up to date by the events stored since training."""
    served = served_model()
    profiles = _profiles(served)
    index = profiles.index_of(user_id)
    if index < 0 or not rules_cache().engine(served).knows_user(user_id):
        raise APIError(404, "unknown_user", f"user {user_id[:100]!r} is not in model version {served.name}",
                       "user_id")
    live = events().segments.now(served)
    memberships = live.memberships(user_id)
    browsing = next((m.category for m in memberships if m.segment == "browsing_interest"), None)
    return {**profiles.profile(index), "stage": live.stage_of(user_id), "segments": [m.segment for m in memberships],
            "memberships": [m.to_dict() for m in memberships], "browsing_interest": browsing,
            "favourite_categories": favourite_categories(served, index), "model_version": served.name}


def _titled(served: Served, metrics: dict) -> dict:
    items = [{"item_id": item, "title": served.labels.get(item, (item, ""))[0]} for item in metrics["top_items"]]
    return {**metrics, "top_items": items}


@bp.get("/v1/segments")
def segments() -> dict:
    """Every lifecycle stage and live segment with its metrics, plus the store's key figures."""
    served = served_model()
    summary = _profiles(served).summary
    live = events().segments.now(served)
    erased = [live.segments_of(user) for user in rules_cache().erased_users(served)]
    now = {name: live.count(name) - sum(name in segments for segments in erased) for name in AUDIENCES}
    listed = [{"name": name, "kind": "stage", **_titled(served, summary["stages"][name]), "customers_now": now[name]}
              for name in STAGES]
    listed += [{"name": name, "kind": "live", **_titled(served, metrics), "customers_now": now[name]}
               for name, metrics in summary["live_segments"].items()]
    moment = {k: v for k, v in summary["key_moment"].items() if k != "interval_histogram"}
    return {"as_of": summary["as_of"], "segments": listed, "store": summary["store"], "key_moment": moment,
            "predictions": summary["predictions"], "definitions": summary["definitions"],
            "model_version": served.name}


@bp.get("/v1/segments/<name>/users")
def segment_users(name: str) -> dict:
    """The customers of one segment as of now, a page at a time: those the stored events put in it
    (newest first), then training's members still in it (highest predicted 12-month value first).
    A page may repeat or skip a customer who joined or left between two calls."""
    limit, cursor = query_limit(request.args), query_text(request.args, "cursor")
    served = served_model()
    names = _profiles(served).audiences()
    if name not in names:
        raise APIError(404, "unknown_segment", f"no segment {name[:64]!r}; segments: {', '.join(names)}", "name")
    live = events().segments.now(served)
    members = live_members(served, live, name)
    start = read_cursor(cursor, name, served.name)
    page = members[start:start + limit]
    end = start + len(page)
    return {"segment": name, "total": len(members), "users": [member_card(served, live, m) for m in page],
            "next_cursor": make_cursor(name, end, served.name) if end < len(members) else None,
            "model_version": served.name}


def live_members(served: Served, live: LiveMembership, name: str) -> list[Member]:
    """Segment ``name`` as of now, without erased customers."""
    erased = rules_cache().erased_users(served)
    return [member for member in live.members(name) if member.user_id not in erased]


def member_card(served: Served, live: LiveMembership, member: Member) -> dict:
    """The customer's card as of now, with since when and why they are in the segment; a customer
    the model does not know yet is described from their stored orders."""
    profiles = served.version.profiles
    index = profiles.index_of(member.user_id)
    memberships = live.memberships(member.user_id)
    card = profiles.card(index) if index >= 0 else _new_customer_card(member.user_id, live)
    return {**card, "stage": live.stage_of(member.user_id), "segments": [m.segment for m in memberships],
            "since": member.to_dict()["since"], "why": member.why}


def _new_customer_card(user_id: str, live: LiveMembership) -> dict:
    orders = live.evidence.orders.get(user_id)
    return {"user_id": user_id, "recency_days": 0 if orders else None, "orders": orders.orders if orders else 0,
            "spend": orders.spend if orders else 0.0, "p_buy_30d": None, "p_buy_90d": None,
            "predicted_value_12m": None}


@bp.get("/v1/communities")
def communities() -> dict:
    """The communities training found: how many (and the criterion that chose that many), and each
    one's name, audience name, size, revenue share, average order, top products and categories."""
    served = served_model()
    profiles = _profiles(served)
    found = profiles.summary.get("communities") if profiles.communities else None
    if found is None:
        raise APIError(404, "no_communities", f"model version {served.name} has no communities: train it again")
    groups = [_titled(served, group) for group in found["groups"]]
    return {"k": found["k"], "criterion": found["criterion"], "silhouette": found["silhouette"],
            "communities": groups, "model_version": served.name}


@bp.get("/v1/report")
def report() -> Response:
    """The lifecycle report as one self-contained HTML page (inline SVG charts, no scripts)."""
    served = served_model()
    _profiles(served)
    return Response(render_report(served.version, current_app.config["CURRENCY"]), mimetype="text/html")
