"""Each worker's view of the rule store: the active rules compiled over the served catalog.

A request asks for the re-ranker of the version it answers from. At most once per
``RULES_REFRESH_INTERVAL`` seconds that reads the store's version counter (one small query); when
it moved, the rules, placement settings and catalog updates are read again and compiled. Compiled
re-rankers are kept per (model version, store version), so a request never waits for a compile
unless something changed. If the store cannot be read, the last rules keep applying.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from recommender.engine import RecommendationEngine
from recommender.errors import FieldError
from recommender.experiments import Assigned, RunningExperiment, running_experiment
from recommender.rules import CANONICAL_KINDS, ItemTable, RuleBook, RuleReranker, parse_rule, parse_settings
from recommender.rules.items import value_kind

from api.config import database_url
from api.serving.cards import Card, item_cards
from api.serving.model_store import Served
from api.rules.store import RuleStore, Snapshot, rule_definition

if TYPE_CHECKING:
    from api.events.popularity import LivePopularity

KEY = "vitrine_rules"
log = logging.getLogger(__name__)


class RulesCache:
    """The rule book and catalog updates of one worker, and re-rankers compiled from them."""

    def __init__(self, store: RuleStore, interval: float = 1.0) -> None:
        self.store = store
        self.interval = interval
        self.book = RuleBook()
        self.items: dict[str, dict] = {}
        self.erased: dict[str, float] = {}
        self.experiments: dict[str, RunningExperiment] = {}  # placement -> its running experiment
        self.audiences: Callable[[Served], Callable[[str | None], Iterable[str]]] | None = None
        self.popularity: "LivePopularity | None" = None  # today's purchases, from the event store
        self.version = -1
        self._next_check = 0.0
        self._lock = threading.Lock()
        self._base: tuple[str, ItemTable] | None = None
        self._compiled: tuple[tuple[str, int, float], RecommendationEngine] | None = None
        self._variants: tuple[tuple[str, int, float], dict[tuple[int, int], RecommendationEngine]] | None = None
        self._cards: tuple[tuple[str, int], dict[str, Card]] | None = None
        self._catalog: tuple[tuple[str, int], dict[str, dict]] | None = None

    def reranker(self, served: Served) -> RuleReranker:
        """The re-ranker of the current rules over ``served``'s catalog (with its updates)."""
        return self.engine(served).reranker

    def assignment(self, placement: str | None, unit: str | None) -> Assigned | None:
        """The variant ``unit`` (a visitor or customer id) sees on ``placement``, if an experiment runs there."""
        running = self.experiments.get(placement) if unit else None
        return running.assign(unit) if running is not None else None

    def engine(self, served: Served, assigned: Assigned | None = None) -> RecommendationEngine:
        """``served``'s engine answering through the current rules (compiled once per model and
        rule store version), with the placement settings of ``assigned``'s variant if given."""
        key, engine = self._engine(served)
        if assigned is None:
            return engine
        variants = self._variants
        if variants is None or variants[0] != key:
            variants = self._variants = (key, {})
        found = variants[1].get((assigned.experiment_id, assigned.index))
        if found is None:
            running = self.experiments.get(assigned.placement)
            settings = running.settings[assigned.index] if running is not None and running.id == assigned.experiment_id \
                else self.book.settings_for(assigned.placement)
            found = variants[1][(assigned.experiment_id, assigned.index)] = engine.with_reranker(engine.reranker.with_settings(assigned.placement, settings))
        return found

    def _engine(self, served: Served) -> tuple[tuple[str, int, float], RecommendationEngine]:
        self.refresh()
        key = (served.name, self.version, self.popularity.stamp(served) if self.popularity is not None else 0.0)
        compiled = self._compiled
        if compiled is None or compiled[0] != key:
            with self._lock:
                compiled = self._compiled
                if compiled is None or compiled[0] != key:
                    reranker = RuleReranker(self.book, self.table(served))
                    engine = served.engine.with_reranker(reranker).without_users(self.erased_users(served))
                    if self.audiences is not None:
                        engine = engine.with_audiences(self.audiences(served))
                    if self.popularity is not None:
                        engine = self.popularity.apply(engine, served)
                    compiled = self._compiled = (key, engine)
        return compiled

    def erased_users(self, served: Served) -> set[str]:
        """The customers erased after ``served`` was trained (a later version never saw their rows)."""
        trained = served.manifest_time("trained_at")
        return {user for user, at in self.erased.items() if at > trained}

    def cards(self, served: Served) -> dict[str, Card]:
        """``served``'s item cards with the stored catalog updates' prices."""
        self.refresh()
        key, cards = (served.name, self.version), self._cards
        if cards is None or cards[0] != key:
            cards = self._cards = (key, item_cards(served.labels, served.version.catalog, self.items)
                                   if self.items else served.cards)
        return cards[1]

    def catalog(self, served: Served) -> dict[str, dict]:
        """``served``'s catalog records with the stored catalog updates applied: what the demo store
        and every other page show of a product."""
        self.refresh()
        key, catalog = (served.name, self.version), self._catalog
        if catalog is None or catalog[0] != key:
            records = served.version.catalog
            merged = {item: {**records[item], **self.items[item]} for item in self.items if item in records}
            catalog = self._catalog = (key, {**records, **merged} if merged else records)
        return catalog[1]

    def table(self, served: Served | None) -> ItemTable | None:
        """The served catalog with the stored updates applied (``None`` before a model loads)."""
        if served is None:
            return None
        base = self._base
        if base is None or base[0] != served.name:
            base = self._base = (served.name, ItemTable.from_records(served.version.model.item_ids,
                                                                     served.version.catalog))
        return base[1].with_updates(self.items)

    def kinds(self, served: Served | None) -> Mapping[str, str]:
        """Column name -> kind, for validating conditions and catalog updates."""
        self.refresh()
        table = self.table(served)
        if table is not None:
            return table.kinds
        kinds = dict(CANONICAL_KINDS)
        for attributes in self.items.values():
            for name, value in attributes.items():
                kinds.setdefault(name, value_kind(value) or "text")
        return kinds

    def refresh(self, force: bool = False) -> None:
        """Re-read the store if its version moved (looked at once per interval, or now if ``force``)."""
        now = time.monotonic()
        if not force and now < self._next_check:
            return
        with self._lock:
            self._next_check = now + self.interval
            try:
                if self.store.version() != self.version:
                    self._load(self.store.snapshot())
            except SQLAlchemyError as exc:
                log.warning("cannot read the rule store (%s); the last rules read keep applying", exc)

    def _load(self, snapshot: Snapshot) -> None:
        self.book = RuleBook(tuple(_rules(snapshot.rules)), _placements(snapshot.placements))
        self.items, self.erased, self.version = snapshot.items, snapshot.erased, snapshot.version
        self.experiments = _experiments(snapshot.experiments, self.book)
        log.info("rule store version %d: %d rules, %d placements, %d catalog updates", self.version,
                 len(self.book.rules), len(self.book.placements), len(self.items))


def _rules(rows: list[dict]) -> list:
    rules = []
    for row in rows:
        try:
            rules.append(parse_rule(rule_definition(row), None, rule_id=row["id"]))
        except FieldError as exc:
            log.error("stored rule %s cannot be read and is skipped: %s", row["id"], exc)
    return rules


def _placements(rows: dict[str, dict]) -> dict:
    placements = {}
    for name, settings in rows.items():
        try:
            placements[name] = parse_settings(settings)
        except FieldError as exc:
            log.error("stored settings of placement %s cannot be read and are skipped: %s", name, exc)
    return placements


def _experiments(rows: list[dict], book: RuleBook) -> dict[str, RunningExperiment]:
    running = {}
    for row in rows:
        try:
            experiment = running_experiment(row, book.settings_for(row["placement"]))
        except FieldError as exc:
            log.error("stored experiment %s cannot be read and is not run: %s", row["id"], exc)
            continue
        running[experiment.placement] = experiment
    return running


def with_stored_rules(served: Served, settings: Mapping) -> Served:
    """``served`` answering through the rules of the store ``settings`` name, with its catalog updates'
    prices (``vitrine export``)."""
    store = RuleStore(database_url(settings))
    try:
        cache = RulesCache(store, 0.0)
        return replace(served, engine=cache.engine(served), cards=cache.cards(served))
    finally:
        store.close()


def install_rules(app: Flask) -> RulesCache:
    """Open the rule store the settings name (migrating it) and give the app its cache."""
    cache = RulesCache(RuleStore(database_url(app.config)), app.config["RULES_REFRESH_INTERVAL"])
    app.extensions[KEY] = cache
    return cache


def rules_cache() -> RulesCache:
    return current_app.extensions[KEY]
