"""Customer profiles, lifecycle segments and their report, from the served version's profiles."""
from __future__ import annotations

import numpy as np
from flask import Blueprint, Response, request

from recommender.lifecycle import STAGES
from recommender.profiles import AUDIENCES, CustomerProfiles

from api.errors import APIError
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
    """Stage, live segments, RFM, predictions, favourite categories and last purchase of one customer."""
    served = served_model()
    profiles = _profiles(served)
    index = profiles.index_of(user_id)
    if index < 0:
        raise APIError(404, "unknown_user", f"user {user_id[:100]!r} is not in model version {served.name}",
                       "user_id")
    return {**profiles.profile(index), "favourite_categories": favourite_categories(served, index),
            "model_version": served.name}


def _titled(served: Served, metrics: dict) -> dict:
    items = [{"item_id": item, "title": served.labels.get(item, (item, ""))[0]} for item in metrics["top_items"]]
    return {**metrics, "top_items": items}


@bp.get("/v1/segments")
def segments() -> dict:
    """Every lifecycle stage and live segment with its metrics, plus the store's key figures."""
    served = served_model()
    summary = _profiles(served).summary
    listed = [{"name": name, "kind": "stage", **_titled(served, summary["stages"][name])} for name in STAGES]
    listed += [{"name": name, "kind": "live", **_titled(served, metrics)}
               for name, metrics in summary["live_segments"].items()]
    moment = {k: v for k, v in summary["key_moment"].items() if k != "interval_histogram"}
    return {"as_of": summary["as_of"], "segments": listed, "store": summary["store"], "key_moment": moment,
            "predictions": summary["predictions"], "definitions": summary["definitions"],
            "model_version": served.name}


@bp.get("/v1/segments/<name>/users")
def segment_users(name: str) -> dict:
    """The customers of one segment, highest predicted 12-month value first, a page at a time."""
    limit, cursor = query_limit(request.args), query_text(request.args, "cursor")
    served = served_model()
    profiles = _profiles(served)
    if name not in AUDIENCES:
        raise APIError(404, "unknown_segment", f"no segment {name[:64]!r}; segments: {', '.join(AUDIENCES)}",
                       "name")
    members = profiles.members(name)
    start = read_cursor(cursor, name, served.name)
    page = members[start:start + limit]
    end = start + len(page)
    return {"segment": name, "total": len(members), "users": [profiles.card(int(i)) for i in page],
            "next_cursor": make_cursor(name, end, served.name) if end < len(members) else None,
            "model_version": served.name}


@bp.get("/v1/report")
def report() -> Response:
    """The lifecycle report as one self-contained HTML page (inline SVG charts, no scripts)."""
    served = served_model()
    _profiles(served)
    return Response(render_report(served.version), mimetype="text/html")
