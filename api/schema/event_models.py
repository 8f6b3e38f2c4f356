"""The storefront event contract of ``POST /v1/events``: one pydantic model validates each event and is
the OpenAPI schema of the body (docs/api.md, "Events")."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel, TypeAdapter, model_validator
from pydantic_core import PydanticCustomError

from .models import Id, PlacementName, Request, Timestamp, _whole_number

EVENT_TYPES = ("view", "cart", "remove_from_cart", "purchase", "impression", "click")
MAX_EVENTS = 1_000
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_QUANTITY = 1e6
MAX_PRICE = 1e9

EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$", description=(
    "made by the client (a UUID): an event sent twice is stored once; the service makes one if absent"))]
Quantity = Annotated[float, Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]
Price = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
Position = Annotated[int, Field(ge=1, le=1_000), BeforeValidator(_whole_number)]


_NAMED = {"type": "string", "minLength": 1}
CROSS_FIELD_RULES = {  # what ``_complete`` checks, stated in the schema (the clock rule cannot be)
    "anyOf": [{"required": ["visitor_id"], "properties": {"visitor_id": _NAMED}},
              {"required": ["user_id"], "properties": {"user_id": _NAMED}}],
    "if": {"properties": {"type": {"const": "purchase"}}},
    "then": {"required": ["order_id", "price"], "properties": {"order_id": _NAMED, "price": {"type": "number"}}},
}


class EventIn(Request):
    """One thing a visitor did. ``visitor_id`` (a first-party id the widget keeps) or ``user_id``
    (a logged-in customer) or both: an event with both links the visitor to the customer."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, json_schema_extra=CROSS_FIELD_RULES)

    type: Literal[EVENT_TYPES] = Field(description="view, cart, remove_from_cart, purchase, impression or click")  # type: ignore[valid-type]
    item_id: Id
    visitor_id: Id | None = None
    user_id: Id | None = None
    event_id: EventId | None = None
    timestamp: Timestamp | None = Field(None, description="when it happened (default: when it arrived); at most "
                                                          "5 minutes in the future")
    order_id: Id | None = Field(None, description="purchase: the order the line belongs to (required)")
    quantity: Quantity = Field(1.0, description="purchase and cart: units")
    price: Price | None = Field(None, description="purchase: unit price paid (required)")
    recommendation_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="impression and click: the answer the item was shown in")
    placement: PlacementName = None
    position: Position | None = Field(None, description="impression and click: 1 for the first card")

    @model_validator(mode="after")
    def _complete(self) -> "EventIn":
        """Rules across fields; the error's context names the field at fault (``field``)."""
        if self.visitor_id is None and self.user_id is None:
            raise PydanticCustomError("missing", "an event needs a visitor_id or a user_id", {"field": "visitor_id"})
        for name in ("order_id", "price"):
            if self.type == "purchase" and getattr(self, name) is None:
                raise PydanticCustomError("missing", "a purchase needs {field}", {"field": name})
        if self.timestamp is not None and self.timestamp > datetime.now(timezone.utc) + FUTURE_TOLERANCE:
            raise PydanticCustomError("invalid_parameter", "more than 5 minutes in the future", {"field": "timestamp"})
        return self


EVENT_LIST = TypeAdapter(list[EventIn])


class EventBody(RootModel[EventIn | Annotated[list[EventIn], Field(min_length=1, max_length=MAX_EVENTS)]]):
    """One event, or an array of 1 to 1,000 (NDJSON: one event a line)."""


class EventsAnswer(BaseModel):
    stored: int = Field(description="events written now")
    duplicates: int = Field(description="events already stored under the same event_id (retries)")
    unknown_items: int = Field(description="stored events whose item the served model does not know yet")


class ErasureAnswer(BaseModel):
    class Erased(BaseModel):
        kind: Literal["user", "visitor"]
        id: str

    erased: Erased
    events_deleted: int = Field(description="stored events deleted now (0 when there were none: still erased)")


MODELS = (EventBody, EventIn, EventsAnswer, ErasureAnswer)
