"""What every write to the rule store shares: the admin token, who made the change, and turning a
``FieldError`` into the API's 400 naming the field."""
from __future__ import annotations

from typing import Any

from flask import request

from recommender.errors import FieldError
from recommender.rules import Rule, parse_rule

from api.admin_token import require_admin_token
from api.errors import APIError, bad_request
from api.extension import vitrine
from api.rules.cache import rules_cache
from api.rules.store import rule_definition

ACTOR_HEADER = "X-Vitrine-Actor"
MAX_ACTOR_LENGTH = 200


def admin_actor() -> str:
    """Check the admin token; return who is changing things (``X-Vitrine-Actor``, else ``admin``)."""
    require_admin_token()
    return request.headers.get(ACTOR_HEADER, "").strip()[:MAX_ACTOR_LENGTH] or "admin"


def invalid(error: FieldError, code: str, prefix: str = "") -> APIError:
    """A 400 with ``code`` naming the offending field (under ``prefix`` when the value was nested)."""
    return bad_request(f"{prefix}{error.field}: {error.message}", f"{prefix}{error.field}", code=code)


def served_or_none():
    """The served version, or ``None`` before one loads (rules can be edited without a model)."""
    return vitrine().store.served()


def check_rule(data: Any, rule_id: int = 0, field_prefix: str = "") -> Rule:
    """A rule checked against the served catalog (columns, pinned items); 400 naming the field."""
    cache = rules_cache()
    served = served_or_none()
    definition = rule_definition(data) if isinstance(data, dict) else data
    kinds = cache.kinds(served)
    table = cache.table(served)
    known = None if table is None else {*table.index, *cache.items}
    try:
        return parse_rule(definition, kinds, known, rule_id)
    except FieldError as exc:
        raise invalid(exc, "invalid_rule", field_prefix) from None


def not_found(what: str, key: str, field: str) -> APIError:
    return APIError(404, f"unknown_{what}", f"{what} {key[:100]!r} does not exist", field)
