"""The engine: one request path for every kind of answer, composed of its stages.

history lookup (``history``) → candidates (stored lists, ``candidates``, ``scoring``) → re-ranking
by the business rules with fallback (``fallback``) → reasons (``reasons``). Speaks external ids at
its edges and integer indices inside; business rules plug in as a ``Reranker``.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Callable, Iterable, Sequence

import numpy as np

from ..blend import BlendModel
from ..buy_again import BuyAgainModel
from ..candidates import RepeatCandidates, UserCandidates
from ..errors import UnknownItemError
from ..history import UserHistory
from ..id_index import IdIndex
from ..profiles import ANONYMOUS_STAGE
from .candidates import BasketComplements, PopularItems, partner_candidates, related_items
from .fallback import rerank_with_fallback, with_popular
from .history import basket_of, row_indices, session_history
from .model import ApproximateALS, ServingModel, unit_rows
from .reasons import Reasons
from .request import (Answer, Candidates, KeepAll, Pick, PlacementPolicy, PurchaseRule, RequestContext, Reranker,
                      SessionEvent)
from .scoring import every_scored, recent_purchases, score_batch

OVERFETCH = 4
BATCH_USERS = 128
ANN_CANDIDATES = 200
POPULAR_STRATEGIES = ("popular", "trending")


class RecommendationEngine:
    """Answers every kind of recommendation request from one ``ServingModel``."""

    def __init__(self, model: ServingModel, reranker: Reranker | None = None,
                 segments_of: Callable[[str | None], Iterable[str]] | None = None) -> None:
        """``segments_of`` names the customer segments of a user id (lifecycle stage first), for
        rules aimed at an audience; without it anonymous visitors are ``prospect``."""
        self.model = model
        self.reranker = reranker or KeepAll()
        self.segments_of = segments_of
        self.user_index = IdIndex(model.user_ids)
        self.item_id_list = model.item_ids.tolist()
        self.item_index = {iid: i for i, iid in enumerate(self.item_id_list)}
        self.category_index = {name: i for i, name in enumerate(model.category_names.tolist())}
        als = model.als if model.scoring == "exact" else ApproximateALS(model.als, model.indexes["items_dot"], ANN_CANDIDATES)
        self.signals = {
            "als": als, "copurchase": model.copurchase, "buy_again": BuyAgainModel(),
            "popularity": model.popularity, "trending": model.trending, "item_knn": model.item_knn,
        }
        if model.ease is not None:
            self.signals["ease"] = model.ease
        self.blends = {
            mode: BlendModel(self.signals, {k: w for k, w in weights.items() if k in self.signals})
            for mode, weights in model.blend_weights.items()
        }
        self.collaborative = BlendModel(self.signals, {"als": 1.0})
        self.item_unit = unit_rows(np.asarray(model.als.item_factors_))
        self.reasons = Reasons(model, self.item_unit)

    def with_reranker(self, reranker: Reranker) -> "RecommendationEngine":
        """The same engine, sharing every model and index, answering through ``reranker``."""
        engine = copy.copy(self)
        engine.reranker = reranker
        return engine

    def without_users(self, user_ids: Iterable[str]) -> "RecommendationEngine":
        """The same engine not knowing ``user_ids`` (erased customers): they are answered as
        strangers, and no answer names them."""
        index = self.user_index.without(user_ids)
        if index is self.user_index:
            return self
        engine = copy.copy(self)
        engine.user_index = index
        return engine

    def with_audiences(self, segments_of: Callable[[str | None], Iterable[str]]) -> "RecommendationEngine":
        """The same engine matching rule audiences against ``segments_of`` (live segments)."""
        engine = copy.copy(self)
        engine.segments_of = segments_of
        return engine

    def with_recent_purchases(self, item_idx: np.ndarray, age_days: np.ndarray,
                              elapsed_days: float) -> "RecommendationEngine":
        """The same engine whose popular and trending lists (and the blend's popularity priors) count
        the purchases made since training (item indices and ages in days), ``elapsed_days`` after the
        data ended."""
        popularity = self.model.popularity.brought_forward(item_idx, age_days, elapsed_days)
        trending = self.model.trending.brought_forward(item_idx, age_days, elapsed_days)
        engine = copy.copy(self)
        engine.model = dataclasses.replace(self.model, popularity=popularity, trending=trending)
        engine.signals = {**self.signals, "popularity": popularity, "trending": trending}
        engine.blends = {mode: BlendModel(engine.signals, blend.weights) for mode, blend in self.blends.items()}
        engine.collaborative = BlendModel(engine.signals, self.collaborative.weights)
        engine.reasons = Reasons(engine.model, self.item_unit)
        return engine

    def request_context(self, placement: str | None, user_id: str | None = None,
                        exclude: np.ndarray | None = None) -> RequestContext:
        """What the re-ranker learns about one request."""
        known = user_id is not None and user_id in self.user_index
        excluded = np.array([], dtype=np.int64) if exclude is None else np.asarray(exclude, dtype=np.int64)
        if self.segments_of is not None:
            segments = frozenset(self.segments_of(user_id))
        else:
            segments = frozenset() if known else frozenset({ANONYMOUS_STAGE})
        return RequestContext(placement, user_id, known_user=known, exclude=excluded, segments=segments)

    def purchase_rule(self, placement: str | None) -> PurchaseRule:
        """The placement's rule for past purchases, from the re-ranker when it has one."""
        return self._purchase_policy.purchase_rule(placement) if self._purchase_policy else PurchaseRule()

    def strategy(self, placement: str | None) -> str:
        """How the placement's lists are made (``recommender.rules.STRATEGIES``; ``blend`` without rules)."""
        return self._purchase_policy.strategy(placement) if self._purchase_policy else "blend"

    @property
    def reranker(self) -> Reranker:
        return self._reranker

    @reranker.setter
    def reranker(self, reranker: Reranker) -> None:
        """Also notes whether it decides about past purchases: a protocol check per request costs
        more than the rest of looking the rule up."""
        self._reranker = reranker
        self._purchase_policy = reranker if isinstance(reranker, PlacementPolicy) else None

    # ---- lookups -------------------------------------------------------------------------
    def knows_user(self, user_id: str) -> bool:
        return user_id in self.user_index

    def item(self, item_id: str) -> int:
        try:
            return self.item_index[item_id]
        except KeyError:
            raise UnknownItemError(item_id) from None

    def known_items(self, item_ids: Iterable[str]) -> np.ndarray:
        return np.array([self.item_index[i] for i in item_ids if i in self.item_index], dtype=np.int64)

    # ---- personalized ----------------------------------------------------------------------
    def recommend_user(self, user_id: str, n: int = 10, exclude_purchased: bool = True, placement: str | None = None) -> Answer:
        return self.recommend_users([user_id], n, exclude_purchased, placement)[0]

    def recommend_users(self, user_ids: Sequence[str], n: int = 10, exclude_purchased: bool = True,
                        placement: str | None = None) -> list[Answer]:
        """Picks for many users at once: from the candidates training scored when they fit the
        request, else known users are scored in one batch. A placement set to best sellers answers
        with them, leaving out what each customer bought when the placement does."""
        rows = self.user_index.rows(user_ids)
        strategy = self.strategy(placement)
        if strategy in POPULAR_STRATEGIES:
            return [self._popular_for(row, uid, n, exclude_purchased, placement, strategy)
                    for row, uid in zip(rows.tolist(), user_ids)]
        known = np.flatnonzero(rows >= 0)
        answers: list[Answer | None] = [None] * len(user_ids)
        stored = self._stored_lists(n, exclude_purchased, placement) if strategy == "blend" else None
        if stored is not None:
            for position in known:
                answers[position] = self._from_candidates(stored, rows[position], user_ids[position], n, placement)
            known = known[:0]
        for chunk in np.array_split(known, -(-len(known) // BATCH_USERS)) if len(known) else []:
            history = UserHistory.of(rows[chunk], self.model.confidence, self.model.purchases)
            for position, answer in zip(chunk, self._personalized(history, n, exclude_purchased, placement,
                                                                   [user_ids[i] for i in chunk], "personalized")):
                answers[position] = answer
        for position in np.flatnonzero(rows < 0):
            context = self.request_context(placement, user_ids[position])
            answers[position] = self._popular_answer(n, context, strategy="popular_fallback")
        return answers

    def _popular_for(self, row: int, user_id: str | None, n: int, exclude_purchased: bool, placement: str | None,
                     strategy: str) -> Answer:
        """Best sellers (or trending items) for one visitor, without their past purchases if asked."""
        rule = self.purchase_rule(placement)
        bought = (recent_purchases(basket_of(self.model.purchases, row), self.model.last_purchase, row, rule.after_days)
                  if row >= 0 and exclude_purchased and rule.exclude else None)
        context = self.request_context(placement, user_id, bought)
        return self._popular_answer(n, context, trending=strategy == "trending", strategy=strategy)

    def _stored_lists(self, n: int, exclude_purchased: bool, placement: str | None) -> UserCandidates | None:
        """The stored lists that answer this request, if any: new items where every purchase is left
        out (the default placement rule), the repeat list where none is; either must hold
        ``n × OVERFETCH`` items. A rule that lets purchases back after some days is scored live."""
        rule = self.purchase_rule(placement)
        if exclude_purchased and rule.exclude:
            lists = self.model.candidates if rule.after_days is None else None
        else:
            lists = self.model.repeat_candidates
        return lists if lists is not None and n * OVERFETCH <= lists.k else None

    def _from_candidates(self, lists: UserCandidates, row: int, user_id: str, n: int, placement: str | None) -> Answer:
        """A known user's answer from stored ``lists``; the rules see the whole catalog, scored
        live, only when they leave fewer than ``n`` of them."""
        items, scores, sources = lists.row(row)
        repeat = isinstance(lists, RepeatCandidates)
        basket = basket_of(self.model.purchases, row)
        excluded = np.array([], np.int64) if repeat else basket
        context = self.request_context(placement, user_id, excluded)

        def every_item() -> Candidates:
            history = UserHistory.of(np.array([row]), self.model.confidence, self.model.purchases)
            blended = self.blends["all_purchases" if repeat else "new_items"].score(history)
            blended.total[0, excluded] = -np.inf
            return every_scored(blended, 0)

        picks = self._finish(Candidates(items, scores, sources), n, context, every_item, basket, bought=basket,
                             user_row=row)
        return Answer(picks, _strategy(picks, "personalized"))

    def recommend_session(self, events: Sequence[SessionEvent], user_id: str | None = None, n: int = 10,
                          exclude_purchased: bool = True, placement: str | None = None) -> Answer:
        """Fold a live session (plus the user's stored history, if known) into a fresh user vector."""
        items = np.array([self.item_index.get(e.item_id, -1) for e in events], dtype=np.int64)
        seen = items >= 0
        row = self.user_index.get(user_id, -1) if user_id is not None else -1
        strategy = self.strategy(placement)
        if strategy in POPULAR_STRATEGIES:
            return self._popular_for(row, user_id, n, exclude_purchased, placement, strategy)
        if not seen.any() and row < 0:
            context = self.request_context(placement, user_id)
            return self._popular_answer(n, context, strategy="popular_fallback")
        session = [e for e, ok in zip(events, seen) if ok]
        history = session_history(self.model, row, items[seen], session)
        extra = self._session_knn(items[seen]) if strategy == "blend" else None
        return self._personalized(history, n, exclude_purchased, placement, [user_id], "session",
                                  session_items=items[seen], purchase_rows=np.array([row]), extra=extra)[0]

    def _session_knn(self, items: np.ndarray) -> dict[str, np.ndarray] | None:
        """V-SKNN's scores of the session's items in the order they came, scaled and weighted as
        training chose, to add to the blend; ``None`` without a session model or weight."""
        model = self.model.session_knn
        if model is None or self.model.session_weight <= 0 or not len(items):
            return None
        scores = model.score_sequence(items)[None, :]
        return {"session_knn": scores * np.float32(self.model.session_weight / max(float(scores.max()), 1e-12))}

    def _personalized(self, history: UserHistory, n: int, exclude_purchased: bool, placement: str | None,
                      user_ids: Sequence[str | None], strategy: str, session_items: np.ndarray | None = None,
                      purchase_rows: np.ndarray | None = None,
                      extra: dict[str, np.ndarray] | None = None) -> list[Answer]:
        """Blend, mask and cut the whole batch at once; only re-ranking and reasons run per user.

        ``purchase_rows`` are the users' rows in ``last_purchase`` (default: ``history.users``)."""
        rule = self.purchase_rule(placement)
        exclude_purchased = exclude_purchased and rule.exclude
        baskets = row_indices(history.purchases)
        purchase_rows = history.users if purchase_rows is None else purchase_rows
        excluded = [self._exclusions(basket, exclude_purchased, session_items, row, rule.after_days)
                    for basket, row in zip(baskets, purchase_rows)]
        blend = (self.collaborative if self.strategy(placement) == "collaborative"
                 else self.blends["new_items" if exclude_purchased else "all_purchases"])
        batch = score_batch(blend, history, excluded, n * OVERFETCH, extra)
        answers = []
        for u in range(len(history)):
            context = self.request_context(placement, user_ids[u], excluded[u])
            picks = self._finish(batch.best(u), n, context, lambda u=u: batch.every(u), baskets[u], session_items,
                                 bought=baskets[u], user_row=int(purchase_rows[u]))
            answers.append(Answer(picks, _strategy(picks, strategy)))
        return answers

    def _exclusions(self, basket: np.ndarray, exclude_purchased: bool, session_items: np.ndarray | None,
                    row: int, after_days: float | None) -> np.ndarray:
        excluded = (recent_purchases(basket, self.model.last_purchase, row, after_days) if exclude_purchased
                    else np.array([], np.int64))
        if session_items is not None:
            excluded = np.union1d(excluded, session_items)
        return np.asarray(excluded, dtype=np.int64)

    # ---- item-based ------------------------------------------------------------------------
    def related_items(self, item_id: str, n: int = 10, placement: str | None = None) -> Answer:
        """Nearest item vectors by cosine blended with the item's co-purchase partners; the
        neighbours come from Annoy only when training measured it faster than exact scoring."""
        item = self.item(item_id)
        context = self.request_context(placement, exclude=np.array([item]))
        strategy = self.strategy(placement)
        if strategy in POPULAR_STRATEGIES:
            return self._popular_answer(n, context, trending=strategy == "trending", strategy=strategy)
        picks = self._finish(related_items(self.model, self.item_unit, item, n * OVERFETCH), n, context,
                             lambda: related_items(self.model, self.item_unit, item, None), anchor=item)
        return Answer(picks, "related")

    def bought_together(self, item_id: str, n: int = 10, placement: str | None = None) -> list[dict]:
        """The item's association-rule partners with support, confidence and lift, rules applied
        (an item a rule pins without being a partner has zeros); never filled with other items."""
        item = self.item(item_id)
        context = self.request_context(placement, exclude=np.array([item]))
        partners = self.model.copurchase.bought_together(item, n * OVERFETCH)
        ranked = self.reranker.apply(partner_candidates(partners), context)
        if len(ranked) < n and len(partners.ids) == n * OVERFETCH:
            partners = self.model.copurchase.bought_together(item, len(self.model.item_ids))
            ranked = self.reranker.apply(partner_candidates(partners), context)
        stats = {i: (s, c, l) for i, s, c, l in zip(partners.ids.tolist(), partners.support, partners.confidence,
                                                   partners.lift)}
        return [
            dict(zip(("item_id", "support", "confidence", "lift"),
                     (str(self.model.item_ids[i]), *map(float, stats.get(i, (0.0, 0.0, 0.0))))))
            for i in ranked.items[:n].tolist()
        ]

    def cart_complements(self, item_ids: Sequence[str], n: int = 10, placement: str | None = None) -> Answer:
        """Combined rules of every item in the basket, leaving out what is already in it."""
        basket = self.known_items(item_ids)
        context = self.request_context(placement, exclude=basket)
        strategy = self.strategy(placement)
        if strategy in POPULAR_STRATEGIES:
            return self._popular_answer(n, context, trending=strategy == "trending", strategy=strategy)
        if not len(basket):
            return self._popular_answer(n, context, strategy="popular_fallback")
        complements = BasketComplements(self.model, basket)
        picks = self._finish(complements.best(n * OVERFETCH), n, context, lambda: complements.best(None), basket)
        return Answer(picks, "bought_together" if picks and picks[0].source == "copurchase" else "popular_fallback")

    # ---- popular ---------------------------------------------------------------------------
    def popular(self, n: int = 10, category: str | None = None, trending: bool = False, placement: str | None = None) -> Answer:
        if category is not None and category not in self.category_index:
            raise UnknownItemError(f"category {category!r}")
        context = self.request_context(placement)
        return self._popular_answer(n, context, category=category, trending=trending,
                                    strategy="trending" if trending else "popular")

    def _popular_answer(self, n: int, context: RequestContext, category: str | None = None, trending: bool = False,
                        strategy: str = "popular") -> Answer:
        """Popular items scored by their share of the top item's popularity, rules applied."""
        popular = PopularItems(self.model, trending, self._category_code(category), context.exclude)
        picks = self._finish(popular.best(n * OVERFETCH), n, context, lambda: popular.best(None), category=category,
                             trending=trending)
        return Answer(picks, strategy)

    # ---- similar users ---------------------------------------------------------------------
    def similar_users(self, user_id: str, n: int = 10) -> list[tuple[str, float]]:
        hidden = len(self.model.user_ids) - len(self.user_index)
        ids, similarity = self.model.indexes["users"].query_item(self.user_index[user_id], n + hidden)
        found = [(str(self.model.user_ids[i]), float(s)) for i, s in zip(ids, similarity)]
        return [(uid, s) for uid, s in found if uid in self.user_index][:n]

    # ---- re-ranking, fallback and reasons ----------------------------------------------------
    def _finish(self, candidates: Candidates, n: int, context: RequestContext,
                grow: Callable[[], Candidates] | None = None, basket: np.ndarray | None = None,
                session_items: np.ndarray | None = None, anchor: int | None = None, category: str | None = None,
                trending: bool = False, bought: np.ndarray | None = None, user_row: int = -1) -> list[Pick]:
        """Re-rank with fallback, cut to ``n`` and explain each pick (``bought``/``user_row``: the
        customer's past purchases and model row, for a personal answer)."""
        code = self._category_code(category)
        ranked = rerank_with_fallback(self.reranker, candidates, n, context, grow,
                                      lambda pool: with_popular(self.model, pool, context, code, trending))
        reasons = self.reasons.explain(ranked, basket, session_items, anchor, bought, user_row)
        return [Pick(self.item_id_list[i], s, reason, source)
                for i, s, source, reason in zip(ranked.items.tolist(), ranked.scores.tolist(),
                                                ranked.sources.tolist(), reasons)]

    def _category_code(self, category: str | None) -> int | None:
        return self.category_index.get(category) if category is not None else None


def _strategy(picks: list[Pick], strategy: str) -> str:
    """``strategy``, or ``popular_fallback`` when the list had to start with popular items."""
    return strategy if picks and picks[0].source != "popularity" else "popular_fallback"
