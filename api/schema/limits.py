"""The limits of requests, stated once: the checks and the OpenAPI document both read them."""
from __future__ import annotations

DEFAULT_N = 10
MAX_N = 100
MAX_ID_LENGTH = 256
MAX_BATCH_USERS = 10_000
MAX_SESSION_EVENTS = 1_000
MAX_CART_ITEMS = 500
DEFAULT_LIMIT = 100
MAX_LIMIT = 1_000
MAX_RULE_ID = 2**31 - 1
MAX_CATALOG_ITEMS = 10_000
MAX_AUDIT_PAGE = 500
AUDIT_ENTITIES = ("rule", "placement", "catalog", "user", "visitor", "experiment")
PREVIEW_KINDS = ("user", "session", "related", "bought_together", "cart", "popular")
EVENT_ALIASES = {
    "view": "view", "cart": "cart", "purchase": "purchase",
    "addtocart": "cart", "add_to_cart": "cart", "transaction": "purchase", "order": "purchase",
}
# Epoch numbers below 1e11 are seconds (year 5138), below 1e14 milliseconds.
MAX_EPOCH = 1e14
EPOCH_MS = 1e11
