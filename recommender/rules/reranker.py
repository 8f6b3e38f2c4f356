"""``RuleReranker``: a rule book compiled over the catalog, applied to candidate lists.

Compiling (once per change of rules, placement settings or catalog) turns every enabled rule's
condition into a boolean row of a ``rules × items`` matrix. A request first picks the rules that
apply to it (placement, audience, schedule: vectors over the rules), and the combination of those
rules with the placement's settings is compiled once into a ``Plan`` — an ``allowed`` mask, a
score ``multiplier`` array and the pin slots — cached by which rules apply. Per request only
``plan.allowed[items]`` and ``plan.multiplier[items]`` are looked up: no loop runs per candidate.

Order of application, on the whole candidate pool (fill-up items included):

1. filters: placement settings (out of stock, price bounds), ``exclude`` rules, ``include_only``
   rules (an item must match every one that applies);
2. ``boost`` and ``bury``: the score is multiplied by the factor of the highest-priority rule that
   matches the item (ties: the rule created last), and the list is re-sorted — fill-up items
   stay behind the real candidates;
   then the placement's ``objective`` (revenue, margin): candidates above the relevance floor are
   ordered by score × value (``recommender.objectives``), fill-up items still behind;
3. diversity: at most ``max_per_category`` items of one category, best first;
4. pins, highest priority first: each pinned item goes to its 1-based position (or the end of a
   shorter list); a slot taken by a higher-priority pin, or an item that a filter removes or that
   the request excludes, is skipped. Pins may exceed the diversity cap.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace

import numpy as np

from ..engine.request import Candidates, PurchaseRule, RequestContext
from ..objectives import UNITS_COLUMN, VALUE_COLUMNS, by_expected_value, item_values
from .audiences import BUILT_IN
from .conditions import compile_condition
from .definitions import PlacementSettings, Rule, RuleBook
from .items import ItemTable

ACTION_CODES = {"exclude": 0, "include_only": 1, "boost": 2, "bury": 3, "pin": 4}
EXCLUDE, INCLUDE, BOOST, BURY, PIN = range(5)
PLAN_CACHE_SIZE = 64


@dataclass(frozen=True)
class Plan:
    """The rules of one kind of request, compiled over the catalog."""

    allowed: np.ndarray
    multiplier: np.ndarray | None
    winner: np.ndarray | None  # per item, the row of the boost/bury rule that set its factor (-1: none)
    includes: np.ndarray  # rows of the include_only rules that apply
    pin_items: np.ndarray
    pin_positions: np.ndarray
    pin_rules: np.ndarray
    pinned: np.ndarray  # per item: is it one of pin_items?
    cap: int | None
    value: np.ndarray | None = None  # per item value of the placement's objective (None: relevance)
    floor: float = 0.5


class RuleReranker:
    """Applies a ``RuleBook`` to candidate lists (the engine's ``Reranker`` and ``PlacementPolicy``).

    ``as_of`` (seconds since the epoch) answers as of that moment instead of the request's: how a
    scheduled rule is previewed before it starts."""

    def __init__(self, book: RuleBook, table: ItemTable, as_of: float | None = None) -> None:
        self.book = book
        self.table = table
        self.as_of = as_of
        self.rules: list[Rule] = sorted((r for r in book.rules if r.enabled), key=lambda r: (r.priority, r.id))
        n_items, rules = len(table), self.rules
        self.masks = np.zeros((len(rules), n_items), dtype=bool)
        for row, rule in enumerate(rules):
            self.masks[row] = _rule_mask(rule, table)
        self.action = np.array([ACTION_CODES[r.action] for r in rules], dtype=np.int8)
        self.factor = np.array([r.factor or 1.0 for r in rules], dtype=np.float64)
        self.starts = np.array([r.starts_at.timestamp() if r.starts_at else -np.inf for r in rules])
        self.ends = np.array([r.ends_at.timestamp() if r.ends_at else np.inf for r in rules])
        self.everywhere = np.array([not r.placements for r in rules], dtype=bool)
        named = {p for r in rules for p in r.placements}
        self.by_placement = {p: self.everywhere | np.array([p in r.placements for r in rules], dtype=bool)
                             for p in named}
        self.audience = np.array([r.audience or "" for r in rules], dtype=object)
        self.tags = [frozenset(r.tags) for r in rules]
        self.pins = [_pin_rows(rule, table) for rule in rules]
        self.categories = np.unique(table.columns["category"], return_inverse=True)[1].ravel()
        self.out_of_stock = table.present["in_stock"] & (table.columns["in_stock"] == 0)
        self._plans: dict[tuple, Plan] = {}
        self._switched: dict[str | None, np.ndarray | bool] = {}

    def __getstate__(self) -> dict:
        """Pickled (for export worker processes) without the plan cache, which refills on use."""
        return {**self.__dict__, "_plans": {}, "_switched": {}}

    def with_settings(self, placement: str, settings: PlacementSettings) -> "RuleReranker":
        """The same compiled rules with ``placement`` answering under ``settings`` (an experiment's
        variant): nothing is compiled again."""
        reranker = copy.copy(self)
        reranker.book = replace(self.book, placements={**self.book.placements, placement: settings})
        reranker._plans, reranker._switched = {}, {}
        return reranker

    # ---- the engine's protocols ----------------------------------------------------------------
    def purchase_rule(self, placement: str | None) -> PurchaseRule:
        settings = self.book.settings_for(placement)
        return PurchaseRule(settings.exclude_purchased, settings.repurchase_after_days)

    def strategy(self, placement: str | None) -> str:
        return self.book.settings_for(placement).strategy

    def apply(self, candidates: Candidates, context: RequestContext) -> Candidates:
        plan = self.plan(context)
        ranked = candidates.take(plan.allowed[candidates.items])
        if plan.multiplier is not None and len(ranked):
            ranked = _rescore(ranked, plan.multiplier[ranked.items])
        if plan.value is not None and len(ranked):
            ranked = _by_value(ranked, plan.value, plan.floor)
        if plan.cap is not None and len(ranked) > plan.cap:
            ranked = ranked.take(_within_cap(self.categories[ranked.items], plan.cap))
        if len(plan.pin_items):
            ranked = _pin(ranked, plan, context.exclude)
        return ranked

    # ---- plans ---------------------------------------------------------------------------------
    def applicable(self, context: RequestContext) -> np.ndarray:
        """One boolean per (enabled) rule: does it apply to this request, now?"""
        if not self.rules:
            return np.zeros(0, dtype=bool)
        now = context.now if context.now is not None else self.as_of if self.as_of is not None else time.time()
        placed = self.by_placement.get(context.placement, self.everywhere) if context.placement else self.everywhere
        kind = "known" if context.known_user else "anonymous"
        audience = (self.audience == "") | (self.audience == kind)
        if context.segments:
            audience |= np.isin(self.audience, [s for s in context.segments if s not in BUILT_IN])
        return placed & audience & (self.starts <= now) & (now < self.ends) & self._switched_on(context.placement)

    def _switched_on(self, placement: str | None) -> np.ndarray | bool:
        """Which rules the placement's settings leave on: none when ``apply_rules`` is off, else
        those without a tag in ``skip_rule_tags``."""
        switched = self._switched.get(placement)
        if switched is None:
            settings = self.book.settings_for(placement)
            skipped = set(settings.skip_rule_tags)
            switched = (settings.apply_rules if not skipped or not settings.apply_rules
                        else np.array([not (tags & skipped) for tags in self.tags], dtype=bool))
            if len(self._switched) < PLAN_CACHE_SIZE:
                self._switched[placement] = switched
        return switched

    def plan(self, context: RequestContext) -> Plan:
        """The compiled plan of the request's rules and placement settings (cached)."""
        applies = self.applicable(context)
        named = context.placement if context.placement in self.book.placements else None
        key = (named, applies.tobytes())
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) >= PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[key] = self._compile(self.book.settings_for(context.placement), np.flatnonzero(applies))
        return plan

    def _compile(self, settings: PlacementSettings, rows: np.ndarray) -> Plan:
        allowed = self._settings_mask(settings)
        action = self.action[rows]
        allowed &= ~self.masks[rows[action == EXCLUDE]].any(axis=0)
        includes = rows[action == INCLUDE]
        allowed &= self.masks[includes].all(axis=0)
        multiplier, winner = None, None
        scored = rows[(action == BOOST) | (action == BURY)]
        if len(scored):
            multiplier, winner = np.ones(len(self.table)), np.full(len(self.table), -1, dtype=np.int32)
            for row in scored:  # ascending priority: the highest-priority match is written last
                multiplier[self.masks[row]] = self.factor[row]
                winner[self.masks[row]] = row
        pin_items, pin_positions, pin_rules = self._pin_slots(rows[action == PIN], allowed)
        pinned = np.zeros(len(self.table), dtype=bool)
        pinned[pin_items] = True
        return Plan(allowed, multiplier, winner, includes, pin_items, pin_positions, pin_rules, pinned,
                    settings.max_per_category, self._values(settings.objective), settings.relevance_floor)

    def _values(self, objective: str) -> np.ndarray | None:
        """Per item value of ``objective``; a margin objective over a catalog without a ``margin``
        column ranks by relevance (the console warns when it is set)."""
        column = VALUE_COLUMNS.get(objective)
        if column is None or self.table.kinds.get(column) != "number":
            return None
        values = item_values(self.table.columns[column], self.table.present[column])
        if self.table.kinds.get(UNITS_COLUMN) == "number":
            values = values * item_values(self.table.columns[UNITS_COLUMN], self.table.present[UNITS_COLUMN])
        return values

    def _settings_mask(self, settings: PlacementSettings) -> np.ndarray:
        allowed = np.ones(len(self.table), dtype=bool)
        if settings.exclude_out_of_stock:
            allowed &= ~self.out_of_stock
        price, known = self.table.columns["price"], self.table.present["price"]
        if settings.min_price is not None:
            allowed &= ~(known & (price < settings.min_price))
        if settings.max_price is not None:
            allowed &= ~(known & (price > settings.max_price))
        return allowed

    def _pin_slots(self, rows: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(items, positions, rule rows) of the pins that win their slot, by position."""
        taken: dict[int, tuple[int, int]] = {}
        pinned: set[int] = set()
        for row in rows[::-1]:  # highest priority first
            for item, position in zip(*self.pins[row]):
                if position not in taken and item not in pinned and allowed[item]:
                    taken[position] = (item, row)
                    pinned.add(item)
        positions = np.array(sorted(taken), dtype=np.int64)
        items = np.array([taken[p][0] for p in positions.tolist()], dtype=np.int64)
        return items, positions, np.array([taken[p][1] for p in positions.tolist()], dtype=np.int64)

    # ---- debugging -----------------------------------------------------------------------------
    def explain(self, items: np.ndarray, context: RequestContext) -> list[list[Rule]]:
        """For each item of a final list, the rules that acted on it (include_only, the boost or
        bury that set its factor, its pin)."""
        plan = self.plan(context)
        items = np.asarray(items, dtype=np.int64)
        included = self.masks[plan.includes][:, items] if len(items) else np.zeros((0, 0), bool)
        pins = dict(zip(plan.pin_items.tolist(), plan.pin_rules.tolist()))
        touched = []
        for column, item in enumerate(items.tolist()):
            rows = plan.includes[included[:, column]].tolist()
            if plan.winner is not None and plan.winner[item] >= 0:
                rows.append(int(plan.winner[item]))
            if item in pins:
                rows.append(pins[item])
            touched.append([self.rules[row] for row in rows])
        return touched


def _by_value(ranked: Candidates, values: np.ndarray, floor: float) -> Candidates:
    """The real candidates by expected value (fill-up items keep their place behind them)."""
    real = np.flatnonzero(ranked.tiers == 0)
    order, scores = by_expected_value(ranked.scores[real], values[ranked.items[real]], floor)
    keep = np.concatenate([real[order], np.flatnonzero(ranked.tiers != 0)])
    out = ranked.take(keep)
    new = out.scores.astype(np.float64).copy()
    new[:len(real)] = scores
    return Candidates(out.items, new.astype(ranked.scores.dtype), out.sources, out.fallback)


def _rule_mask(rule: Rule, table: ItemTable) -> np.ndarray:
    if rule.condition is not None:
        return compile_condition(rule.condition, table)
    mask = np.zeros(len(table), dtype=bool)
    mask[_pin_rows(rule, table)[0]] = True
    return mask


def _pin_rows(rule: Rule, table: ItemTable) -> tuple[list[int], list[int]]:
    """The pinned items the catalog knows, as item indices, with their positions."""
    pairs = [(table.index[item], p) for item, p in zip(rule.item_ids, rule.positions) if item in table.index]
    return [item for item, _ in pairs], [p for _, p in pairs]


def _rescore(ranked: Candidates, factor: np.ndarray) -> Candidates:
    """Scores times ``factor`` (divided for negative scores, so a boost always lifts), re-sorted
    within each tier; equal scores keep their order."""
    scores = np.where(ranked.scores >= 0, ranked.scores * factor, ranked.scores / factor).astype(ranked.scores.dtype)
    order = np.lexsort((np.arange(len(scores)), -scores, ranked.tiers))
    fallback = None if ranked.fallback is None else ranked.fallback[order]
    return Candidates(ranked.items[order], scores[order], ranked.sources[order], fallback)


def _within_cap(categories: np.ndarray, cap: int) -> np.ndarray:
    """Keep mask: each item unless ``cap`` better items of its category come before it."""
    order = np.argsort(categories, kind="stable")
    sorted_codes = categories[order]
    starts = np.r_[0, np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = np.empty(len(order), dtype=bool)
    keep[order] = rank < cap
    return keep


def _pin(ranked: Candidates, plan: Plan, exclude: np.ndarray) -> Candidates:
    """Insert the plan's pinned items at their positions (the end of a shorter list); a pinned
    item's score is that of the item it pushes down (or of the last one), so scores stay in order."""
    items, positions = plan.pin_items, plan.pin_positions
    if len(exclude):
        usable = np.isin(items, exclude, invert=True)
        items, positions = items[usable], positions[usable]
    rest = ranked.take(~plan.pinned[ranked.items])
    slots = np.minimum(positions - 1, len(rest) + np.arange(len(items)))  # ascending, so no pin moves another
    pinned = np.zeros(len(rest) + len(items), dtype=bool)
    pinned[slots] = True
    following = slots - np.arange(len(items))  # the rest item each pin lands before
    padded = np.append(rest.scores, rest.scores[-1] if len(rest) else 1.0)
    pin_scores = padded[np.minimum(following, len(rest))]
    out = Candidates(np.empty(len(pinned), dtype=np.int64), np.empty(len(pinned), dtype=ranked.scores.dtype),
                     np.empty(len(pinned), dtype=np.result_type(rest.sources.dtype, np.array("pinned").dtype)),
                     np.zeros(len(pinned), dtype=bool))
    for target, pins, others in ((out.items, items, rest.items), (out.scores, pin_scores, rest.scores),
                                 (out.sources, "pinned", rest.sources), (out.fallback, False, rest.tiers.astype(bool))):
        target[pinned], target[~pinned] = pins, others
    return out
