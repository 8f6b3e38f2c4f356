"""Business rules, placement settings, catalog updates and rule previews as pydantic models.

The sample request of a preview is validated by these models (one per kind, so a field at fault
is named without the kind); rules and placement settings are checked by ``recommender.rules``,
whose checks also need the catalog and the audiences, and these models document the same
limits, read from the same constants, cross-field rules included.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from recommender.rules import ACTIONS, OPS, PLACEMENT_PATTERN, STRATEGIES
from recommender.rules.conditions import MAX_TEXT
from recommender.rules.definitions import MAX_FACTOR, MAX_NAME_LENGTH, MAX_PINS, MAX_PRIORITY, MAX_TAGS, TAG_PATTERN

from .limits import AUDIT_ENTITIES, MAX_CART_ITEMS, MAX_CATALOG_ITEMS, MAX_ID_LENGTH, MAX_RULE_ID
from .models import DEFAULT_N, N, Id, PlacementName, Request, SessionEventIn

Scalar = Annotated[str | float | bool, Field(description="a string, number or boolean")]
ConditionValue = Annotated[Annotated[str, Field(max_length=MAX_TEXT)] | float | bool,
                           Field(description="a string, number or boolean")]
Tag = Annotated[str, Field(pattern=TAG_PATTERN)]
Factor = Annotated[float, Field(ge=1 / MAX_FACTOR, le=MAX_FACTOR)]
Attributes = Annotated[dict[str, Scalar | None], Field(description="column: value (string, number, boolean or null)")]
DateTime = Annotated[str | None, Field(description="ISO 8601 with a time zone", json_schema_extra={
    "format": "date-time"})]
Ops = Literal[OPS]  # type: ignore[valid-type]


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Comparison(Closed):
    field: str = Field(min_length=1, description="a catalog column")
    op: Ops
    value: ConditionValue | Annotated[list[ConditionValue], Field(min_length=1)] = Field(
        description="a string, number or boolean; an array of them for in, not_in")


class AllOf(Closed):
    all: list[Condition] = Field(min_length=1)


class AnyOf(Closed):
    any: list[Condition] = Field(min_length=1)


Condition = Annotated[Union[Comparison, AllOf, AnyOf], Field(description="a comparison, or all / any of several "
                                                                           "conditions")]
AllOf.model_rebuild()
AnyOf.model_rebuild()


class RuleFields(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "ends_at, when given with starts_at, must be later "
                                                                "than starts_at; pins need item_ids (and positions "
                                                                "one per item), the other actions a condition"})

    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH)
    enabled: bool = True
    placements: list[Annotated[str, Field(pattern=PLACEMENT_PATTERN)]] = Field(
        default_factory=list, description="[] = every placement")
    audience: str | None = Field(None, description="known, anonymous or a customer segment; null = everyone")
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    factor: Factor | None = Field(None, description=f"boost: above 1, at most {MAX_FACTOR:,.0f}; bury: below 1, at "
                                                   f"least 1/{MAX_FACTOR:,.0f}")
    item_ids: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list, max_length=MAX_PINS,
                                                                description="pin only")
    positions: list[Annotated[int, Field(ge=1, le=MAX_PINS)]] = Field(
        default_factory=list, max_length=MAX_PINS, description="pin only: 1-based, one per item id")
    starts_at: DateTime = None
    ends_at: DateTime = None
    timezone: str | None = Field(None, max_length=64, description="IANA zone the schedule was written in "
                                 "(e.g. Europe/Paris), kept to show it that way again")
    priority: int = Field(0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS, description="labels a placement or an "
                            "experiment's variant can switch the rule off by (skip_rule_tags)")


class RuleInput(RuleFields):
    condition: Condition | None = None


class RulePatch(BaseModel):
    """Some fields of a rule; null clears an optional one."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    name: str = Field(None, min_length=1, max_length=MAX_NAME_LENGTH)
    enabled: bool = None
    placements: list[Annotated[str, Field(pattern=PLACEMENT_PATTERN)]] = None
    audience: str | None = None
    action: Literal[ACTIONS] = None  # type: ignore[valid-type]
    factor: Factor | None = None
    item_ids: list[Annotated[str, Field(min_length=1)]] = Field(None, max_length=MAX_PINS)
    positions: list[Annotated[int, Field(ge=1, le=MAX_PINS)]] = Field(None, max_length=MAX_PINS)
    starts_at: DateTime = None
    ends_at: DateTime = None
    timezone: str | None = Field(None, max_length=64)
    priority: int = Field(None, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    tags: list[Tag] = Field(None, max_length=MAX_TAGS)
    condition: Condition | None = None


class Rule(RuleFields):
    id: int
    condition: dict | None = Field(description="a Condition; null for pins")
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    updated_at: str = Field(json_schema_extra={"format": "date-time"})


class RuleList(BaseModel):
    rules: list[Rule]
    version: int = Field(description="the store's change counter")


class RuleDeleted(BaseModel):
    deleted: Rule


class AuditEntry(BaseModel):
    id: int
    at: str = Field(json_schema_extra={"format": "date-time"})
    actor: str
    action: Literal["create", "update", "delete", "erase", "start", "stop"]
    entity: Literal[AUDIT_ENTITIES]  # type: ignore[valid-type]
    entity_id: str | None
    before: object | None
    after: object | None


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_before: int | None = Field(description="pass as before for the next page; null on the last")


class PlacementSettings(Closed):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "description": "max_price, when given with min_price, must be at least min_price"})

    exclude_out_of_stock: bool = True
    exclude_purchased: bool = Field(True, description="leave out what the user bought (the request's "
                                                      "exclude_purchased too)")
    repurchase_after_days: Annotated[float, Field(gt=0, le=36500)] | None = Field(
        None, description="purchases at least this old come back (null: never)")
    max_per_category: Annotated[int, Field(ge=1, le=100)] | None = None
    min_price: Annotated[float, Field(ge=0)] | None = None
    max_price: Annotated[float, Field(ge=0)] | None = None
    objective: Literal["relevance", "revenue", "margin"] = Field(
        "relevance", description="rank by relevance, or by relevance × price (revenue) or × the catalog's margin "
                                 "column (margin) among the items above the relevance floor")
    relevance_floor: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5, description="share of the list's best relevance an item needs to be promoted by value")
    strategy: Literal[STRATEGIES] = Field(  # type: ignore[valid-type]
        "blend", description="blend: the trained blend; collaborative: ALS alone; popular / trending: best sellers")
    apply_rules: bool = Field(True, description="false: no business rule acts on this placement")
    skip_rule_tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS,
                                      description="rules carrying any of these tags do not act here")


class Placement(PlacementSettings):
    model_config = ConfigDict(extra="allow")

    name: str
    source: Literal["own", "default", "built_in"] = Field(description="whose settings apply")


class PlacementList(BaseModel):
    placements: list[dict]
    defaults: dict


class CatalogItem(BaseModel):
    item_id: str
    attributes: Attributes
    updates: Attributes
    in_model: bool


class CatalogItemUpdated(BaseModel):
    item_id: str
    updates: Attributes


class CatalogItemUpdate(BaseModel):
    """Some attributes of one item: at least one column."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "minProperties": 1, "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "number"},
                                                               {"type": "boolean"}, {"type": "null"}]}})


class CatalogBulkLine(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {"anyOf": [
        {"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}})

    item_id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)


class CatalogBulkRequest(BaseModel):
    items: list[CatalogBulkLine] = Field(min_length=1, max_length=MAX_CATALOG_ITEMS)


class CatalogBulkAnswer(BaseModel):
    updated: int
    unknown_to_model: int
    version: int


# ---- rule previews ---------------------------------------------------------------------------
class Sample(Request):
    n: N = DEFAULT_N
    placement: PlacementName = None


class UserSample(Sample):
    kind: Literal["user"]
    user_id: Id
    exclude_purchased: bool = True


class SessionSample(Sample):
    kind: Literal["session"]
    user_id: Id | None = None
    session: list[SessionEventIn] = Field(default_factory=list)
    exclude_purchased: bool = True


class ItemSample(Sample):
    kind: Literal["related", "bought_together"]
    item_id: Id


class CartSample(Sample):
    kind: Literal["cart"]
    items: list[Id] = Field(max_length=MAX_CART_ITEMS)


class PopularSample(Sample):
    kind: Literal["popular"]
    category: Id | None = None
    trending: bool = False


SAMPLES: dict[str, type[Sample]] = {"user": UserSample, "session": SessionSample, "related": ItemSample,
                                    "bought_together": ItemSample, "cart": CartSample, "popular": PopularSample}


class PreviewRequest(Closed):
    rule: RuleInput
    rule_id: int | None = Field(None, ge=1, le=MAX_RULE_ID,
                                description="preview the draft in place of this stored rule")
    request: Annotated[Union[UserSample, SessionSample, ItemSample, CartSample, PopularSample],
                       Field(discriminator="kind", description="a sample request: kind plus that kind's fields")]


class PreviewAnswer(BaseModel):
    rule: dict
    before: dict
    after: dict


MODELS = (RuleInput, RulePatch, Rule, RuleList, RuleDeleted, AuditPage, PlacementSettings, Placement, PlacementList,
          CatalogItem, CatalogItemUpdated, CatalogItemUpdate, CatalogBulkRequest, CatalogBulkAnswer, PreviewRequest,
          PreviewAnswer)
