"""Requests and answers of the recommendation API, declared once as pydantic models.

The request models validate bodies (``api.schema.validation.parse_body``) and every model is a
component of the OpenAPI document (``api.schema.openapi``), so what is checked and what is
documented are the same declaration. Request models are strict: ``"5"`` is not a number and
``true`` is not 1.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError

from recommender.engine import SessionEvent
from recommender.lifecycle import STAGES
from recommender.live_segments import LIVE_SEGMENTS
from recommender.predictions import PREDICTIONS
from recommender.profiles import AUDIENCES
from recommender.rules import PLACEMENT_PATTERN

from .limits import (DEFAULT_N, EPOCH_MS, EVENT_ALIASES, MAX_BATCH_USERS, MAX_CART_ITEMS, MAX_EPOCH, MAX_ID_LENGTH,
                     MAX_N, MAX_SESSION_EVENTS)

_DAY_SECONDS = 86_400.0


class Request(BaseModel):
    """A request body: strict types; fields it does not name are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def _whole_number(value: Any) -> Any:
    """JSON Schema counts 85.0 as an integer, so the checks do too."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]
N = Annotated[int, Field(ge=1, le=MAX_N, description=f"number of answers, 1 to {MAX_N}"), BeforeValidator(_whole_number)]
PlacementName = Annotated[str | None, Field(pattern=PLACEMENT_PATTERN, description=(
    "where the list is shown: home, product, cart, email, ... (passed to the business rules)"))]


def _event_name(value: str) -> str:
    if value not in EVENT_ALIASES:
        raise PydanticCustomError("unknown_event", "must be one of {names}, got {value!r}",
                                  {"names": ", ".join(EVENT_ALIASES), "value": value[:40]})
    return EVENT_ALIASES[value]


def _timestamp(value: Any) -> datetime:
    """ISO 8601 text (UTC when it names no zone) or epoch seconds or milliseconds."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("z", "Z").replace("t", "T"))
        except ValueError:
            raise PydanticCustomError("invalid_parameter", "must be ISO 8601 or epoch seconds, got {value!r}",
                                      {"value": value[:40]}) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < MAX_EPOCH:
        raise PydanticCustomError("invalid_parameter", "must be ISO 8601 or epoch seconds (0 to {top}), got {value}",
                                  {"top": f"{MAX_EPOCH:.0e}", "value": repr(value)[:40]})
    seconds = value / 1000 if value >= EPOCH_MS else value
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


EventName = Annotated[str, AfterValidator(_event_name), WithJsonSchema({
    "type": "string", "enum": list(EVENT_ALIASES),
    "description": "aliases: addtocart, add_to_cart (cart); transaction, order (purchase)"})]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp), WithJsonSchema({
    "description": "ISO 8601 (UTC if no zone) or epoch seconds (milliseconds from 1e11)",
    "oneOf": [{"type": "string", "format": "date-time"},
              {"type": "number", "minimum": 0, "exclusiveMaximum": MAX_EPOCH}]})]


# ---- requests --------------------------------------------------------------------------------
class SessionEventIn(Request):
    item_id: Id
    event: EventName
    timestamp: Timestamp | None = None

    def to_engine(self, now: datetime) -> SessionEvent:
        """The engine's event, aged relative to ``now`` (a future timestamp is age 0)."""
        age = 0.0 if self.timestamp is None else max(0.0, (now - self.timestamp).total_seconds() / _DAY_SECONDS)
        return SessionEvent(self.item_id, self.event, age)


class SessionRequest(Request):
    user_id: Id | None = Field(None, description="a known customer, or null for an anonymous visitor")
    session: list[SessionEventIn] = Field(default_factory=list, max_length=MAX_SESSION_EVENTS)
    n: N = DEFAULT_N
    placement: PlacementName = None
    exclude_purchased: bool = True

    def engine_events(self, now: datetime | None = None) -> list[SessionEvent]:
        now = now or datetime.now(timezone.utc)
        return [event.to_engine(now) for event in self.session]


class CartRequest(Request):
    items: list[Id] = Field(max_length=MAX_CART_ITEMS)
    n: N = DEFAULT_N
    placement: PlacementName = None


class BatchRequest(Request):
    user_ids: list[Id] = Field(min_length=1, max_length=MAX_BATCH_USERS)
    n: N = DEFAULT_N
    placement: PlacementName = None
    exclude_purchased: bool = True


# ---- answers ---------------------------------------------------------------------------------
class Error(BaseModel):
    class ErrorDetail(BaseModel):
        code: str = Field(description="stable machine-readable code")
        message: str
        field: str | None = Field(None, description="the parameter or body field at fault")

    error: ErrorDetail


class RuleNote(BaseModel):
    id: int
    name: str
    action: str


class Item(BaseModel):
    item_id: str
    score: float
    title: str
    category: str
    price: float | None = Field(description="catalog price, null if unknown")
    url: str | None = Field(description="the product page: the catalog's url column, null if it has none")
    image_url: str | None = Field(description="the product image: the catalog's image_url column, null if it has none")
    reason: str = Field(description="a short explanation a widget can show")
    rules: list[RuleNote] = Field(None, description="with debug=true: the business rules that acted on the item")


class ListAnswer(BaseModel):
    items: list[Item]
    strategy: str = Field(description="personalized, session, popular_fallback, related, bought_together, popular "
                                      "or trending")
    model_version: str
    recommendation_id: str = Field(description="new for every list: send it back with the impression, click "
                                               "and e-mail click events of its items")
    experiment_id: int | None = Field(description="the running experiment whose variant made the list")
    variant: str | None = Field(description="that variant's name")


class Partner(Item):
    support: float
    confidence: float
    lift: float


class BoughtTogetherAnswer(BaseModel):
    items: list[Partner]
    strategy: str
    model_version: str


class SimilarUser(BaseModel):
    user_id: str
    similarity: float


class SimilarUsers(BaseModel):
    user_id: str
    users: list[SimilarUser]
    model_version: str


class BatchLine(ListAnswer):
    user_id: str


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    model_version: str
    refused: dict | None = Field(description="a newer version that was refused, if any")


class ModelInfo(BaseModel):
    version: str
    loaded_at: datetime
    trained_at: str | None = None
    data_end: str | None = None
    data: dict | None = None
    metrics: dict | None = None
    scoring: dict | None = None
    blend: dict | None = None
    refused: dict | None


class ReloadAnswer(BaseModel):
    model_version: str
    previous_version: str | None
    changed: bool


# ---- customers -------------------------------------------------------------------------------
Stage = Literal[STAGES]  # type: ignore[valid-type]
LiveSegment = Literal[LIVE_SEGMENTS]  # type: ignore[valid-type]
Count = Annotated[int, Field(ge=0)]
Score = Annotated[int, Field(ge=0, le=5)]
Predictions = create_model("Predictions", **{name: (float | None, ...) for name in PREDICTIONS})


class RFM(BaseModel):
    recency_days: Count | None
    frequency: Count = Field(description="orders")
    monetary: float = Field(description="net spend")
    purchase_days: Count
    r_score: Score
    f_score: Score
    m_score: Score
    code: str = Field(description="R, F and M scores")


class Membership(BaseModel):
    segment: LiveSegment
    since: datetime | None = Field(description="when a stored event put the customer in it; null: known from "
                                                "training (why says as of when)")
    why: dict = Field(description="the event (event_id, type, item_id, at, category) or {source: training, as_of}")
    category: str | None = None


class CommunityRef(BaseModel):
    id: int
    name: str = Field(description="the categories that set the community apart")
    audience: str = Field(description="its name as a rule audience or segment: community:<slug>")


class Profile(BaseModel):
    user_id: str
    stage: Stage = Field(description="lifecycle stage, moved by purchases stored since training")
    segments: list[LiveSegment] = Field(description="live segments the customer is in now")
    memberships: list[Membership] = Field(description="each live segment with since when and why")
    rfm: RFM
    predictions: Predictions  # type: ignore[valid-type]
    last_purchase: datetime | None
    browsing_interest: str | None = Field(description="category viewed repeatedly without buying")
    community: CommunityRef | None = Field(description="the customer's community (null: none found)")
    favourite_categories: list[str]
    model_version: str


class TopItem(BaseModel):
    item_id: str
    title: str


class GroupMetrics(BaseModel):
    """What a group of customers is worth, at training time."""

    customers: Count
    customer_share: float | None = None
    revenue: float
    revenue_share: float | None = None
    orders: Count
    average_order_value: float | None = None
    value_per_customer: float | None = None
    predicted_value_12m: float | None = None
    predicted_value_12m_total: float | None = None
    top_items: list[TopItem] = Field(description="most bought by its members")
    top_categories: list[str]


class SegmentMetrics(GroupMetrics):
    name: Literal[AUDIENCES]  # type: ignore[valid-type]
    kind: Literal["stage", "live"]
    customers_now: Count = Field(description="now, with the events stored since training")


class Segments(BaseModel):
    as_of: str = Field(json_schema_extra={"format": "date"})
    segments: list[SegmentMetrics]
    store: dict
    key_moment: dict
    predictions: dict = Field(description="fitted BG/NBD and Gamma-Gamma parameters")
    definitions: dict = Field(description="the stage rules' settings")
    model_version: str


class Community(GroupMetrics):
    id: int
    name: str = Field(description="the categories that set it apart")
    slug: str
    audience: str = Field(description="community:<slug>, for rule audiences, segment listings and exports")
    top_categories: list[str] = Field(description="the categories its members interact with most distinctively")


class Communities(BaseModel):
    k: int = Field(description="how many communities: the k with the best silhouette")
    criterion: str
    silhouette: dict[str, float] = Field(description="mean silhouette per k tried")
    communities: list[Community]
    model_version: str


class CustomerCard(BaseModel):
    user_id: str
    stage: Stage
    segments: list[LiveSegment]
    recency_days: Count | None
    orders: Count
    spend: float
    p_buy_30d: float | None
    p_buy_90d: float | None
    predicted_value_12m: float | None
    since: datetime | None = Field(description="when a stored event put the customer in the segment; null: "
                                                "known from training")
    why: dict = Field(description="the event that did (event_id, type, item_id, at, category), or "
                                  "{source: training, as_of}")


class SegmentUsers(BaseModel):
    segment: str
    total: Count
    users: list[CustomerCard]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last page")
    model_version: str


REQUESTS = (SessionRequest, CartRequest, BatchRequest)
ANSWERS = (Error, ListAnswer, BoughtTogetherAnswer, SimilarUsers, BatchLine, Health, Ready, ModelInfo, ReloadAnswer,
           Profile, Segments, SegmentUsers, Communities)
