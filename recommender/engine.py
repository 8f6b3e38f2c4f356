"""The serving request path: history lookup → candidates → scoring → re-ranking → fallback.

Speaks external ids at its edges and integer indices inside. Business rules plug in as a
``Reranker``: candidate list in, filtered and re-ranked list out. When the rules leave fewer than
``n`` candidates, the candidate set grows (from the first ``n × OVERFETCH`` to every item the
signal scores) and then popular items are added behind it (each item once, marked ``fallback``),
and the rules see that whole pool, so a widget always gets an answer that respects them.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np
import scipy.sparse as sp

from .als import ALSModel
from .ann import VectorIndex, exact_top_n
from .blend import BlendModel, Blended, scale_rows
from .buy_again import BuyAgainModel
from .candidates import ItemNeighbours, UserCandidates
from .copurchase import CoPurchaseModel
from .ease import EASEModel
from .errors import UnknownItemError
from .history import UserHistory
from .item_knn import ItemKNNModel
from .interactions import EVENT_CODES, InteractionConfig, event_contributions
from .popularity import PopularityModel
from .profiles import ANONYMOUS_STAGE
from .ranking import top_n
from .row_products import CsrRows, entry_positions

OVERFETCH = 4
BATCH_USERS = 128
ANN_CANDIDATES = 200


@dataclass(frozen=True)
class Pick:
    item_id: str
    score: float
    reason: str
    source: str


@dataclass(frozen=True)
class Answer:
    picks: list[Pick]
    strategy: str


@dataclass(frozen=True)
class Candidates:
    """Scored item indices, best first, with the signal that put each one there."""

    items: np.ndarray
    scores: np.ndarray
    sources: np.ndarray
    fallback: np.ndarray | None = None  # True for popular items added only to fill the list

    def __len__(self) -> int:
        return len(self.items)

    @property
    def tiers(self) -> np.ndarray:
        """0 for candidates, 1 for fill-up items: re-ranking never lifts a fill-up item above a candidate."""
        return np.zeros(len(self.items), np.int8) if self.fallback is None else self.fallback.astype(np.int8)

    def take(self, keep: np.ndarray) -> "Candidates":
        fallback = None if self.fallback is None else self.fallback[keep]
        return Candidates(self.items[keep], self.scores[keep], self.sources[keep], fallback)


@dataclass(frozen=True)
class RequestContext:
    """What a re-ranker may look at: where the list is shown, for whom and when.

    ``exclude`` are items the list must not hold (the anchor item, the basket, recent purchases);
    ``now`` is seconds since the epoch (``None``: the current time); ``segments`` are the
    customer segments the visitor belongs to, for rules aimed at an audience.
    """

    placement: str | None = None
    user_id: str | None = None
    known_user: bool = False
    exclude: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    now: float | None = None
    segments: frozenset[str] = frozenset()


class Reranker(Protocol):
    def apply(self, candidates: Candidates, context: RequestContext) -> Candidates: ...


@dataclass(frozen=True)
class PurchaseRule:
    """Whether a placement leaves out what the user bought, and after how many days an item may come
    back (``None``: never)."""

    exclude: bool = True
    after_days: float | None = None


@runtime_checkable
class PurchasePolicy(Protocol):
    """A re-ranker that also decides, per placement, which past purchases are left out."""

    def purchase_rule(self, placement: str | None) -> PurchaseRule: ...


class KeepAll:
    """The re-ranker used when no business rules are configured."""

    def apply(self, candidates: Candidates, context: RequestContext) -> Candidates:
        return candidates


@dataclass(frozen=True)
class SessionEvent:
    item_id: str
    event: str
    age_days: float = 0.0


@dataclass(frozen=True)
class ServingModel:
    """Everything the engine reads; loaded once per process and never written."""

    user_ids: np.ndarray
    item_ids: np.ndarray
    category_names: np.ndarray
    item_category: np.ndarray
    titles: np.ndarray
    als: ALSModel
    copurchase: CoPurchaseModel
    popularity: PopularityModel
    trending: PopularityModel
    item_knn: ItemKNNModel
    ease: EASEModel | None
    confidence: sp.csr_matrix
    purchases: sp.csr_matrix
    indexes: Mapping[str, VectorIndex]
    blend_weights: Mapping[str, Mapping[str, float]]
    interactions: InteractionConfig
    scoring: str = "exact"
    last_purchase: sp.csr_matrix | None = None  # users × items, days from the last purchase to the data's end
    candidates: UserCandidates | None = None  # each user's best new items, scored at training time
    neighbours: ItemNeighbours | None = None  # each item's nearest items by cosine, found at training time


class ApproximateALS:
    """ALS scores of the Annoy MIPS candidates only, zero elsewhere.

    Used when training measured Annoy faster than exact scoring at equal recall (very large
    catalogs): the user vector is compared with ``candidates`` items instead of all of them.
    """

    def __init__(self, als: ALSModel, index: VectorIndex, candidates: int) -> None:
        self.als = als
        self.index = index
        self.candidates = candidates

    def score_users(self, history: UserHistory) -> np.ndarray:
        scores = np.zeros((len(history), history.n_items), dtype=np.float32)
        for row, vector in enumerate(self.als.user_vectors(history)):
            ids, dots = self.index.query_vector(vector, self.candidates)
            scores[row, ids] = dots
        return scores


class RecommendationEngine:
    """Answers every kind of recommendation request from one ``ServingModel``."""

    def __init__(self, model: ServingModel, reranker: Reranker | None = None,
                 segments_of: Callable[[str | None], Iterable[str]] | None = None) -> None:
        """``segments_of`` names the customer segments of a user id (lifecycle stage first), for
        rules aimed at an audience; without it anonymous visitors are ``prospect``."""
        self.model = model
        self.reranker = reranker or KeepAll()
        self.segments_of = segments_of
        self.user_index = {uid: i for i, uid in enumerate(model.user_ids.tolist())}
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
        self.item_unit = _unit_rows(np.asarray(model.als.item_factors_))
        copurchase = model.copurchase
        self.rules = copurchase.lift_ if copurchase.rank_by == "lift" else copurchase.confidence_

    def with_reranker(self, reranker: Reranker) -> "RecommendationEngine":
        """The same engine, sharing every model and index, answering through ``reranker``."""
        engine = copy.copy(self)
        engine.reranker = reranker
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

    @property
    def reranker(self) -> Reranker:
        return self._reranker

    @reranker.setter
    def reranker(self, reranker: Reranker) -> None:
        """Also notes whether it decides about past purchases: a protocol check per request costs
        more than the rest of looking the rule up."""
        self._reranker = reranker
        self._purchase_policy = reranker if isinstance(reranker, PurchasePolicy) else None

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
        request, else known users are scored in one batch."""
        rows = np.array([self.user_index.get(uid, -1) for uid in user_ids], dtype=np.int64)
        known = np.flatnonzero(rows >= 0)
        answers: list[Answer | None] = [None] * len(user_ids)
        if self._precomputed_fits(n, exclude_purchased, placement):
            for position in known:
                answers[position] = self._from_candidates(rows[position], user_ids[position], n, placement)
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

    def _precomputed_fits(self, n: int, exclude_purchased: bool, placement: str | None) -> bool:
        """Whether the stored candidates answer this request: they leave out every purchase, as the
        default placement rule does, and hold ``n × OVERFETCH`` items."""
        rule = self.purchase_rule(placement)
        candidates = self.model.candidates
        return (candidates is not None and exclude_purchased and rule.exclude and rule.after_days is None
                and n * OVERFETCH <= candidates.k)

    def _from_candidates(self, row: int, user_id: str, n: int, placement: str | None) -> Answer:
        """A known user's answer from the stored candidates; the rules see the whole catalog, scored
        live, only when they leave fewer than ``n`` of them."""
        items, scores, sources = self.model.candidates.row(row)
        purchases = self.model.purchases
        basket = purchases.indices[purchases.indptr[row]:purchases.indptr[row + 1]].astype(np.int64)
        context = self.request_context(placement, user_id, basket)

        def every_item() -> Candidates:
            blended = self.blends["new_items"].score(UserHistory.of(np.array([row]), self.model.confidence, purchases))
            blended.total[0, basket] = -np.inf
            return _Scored(blended, 0)()

        picks = self._finish(Candidates(items, scores, sources), n, context, every_item, basket)
        return Answer(picks, "personalized" if picks and picks[0].source != "popularity" else "popular_fallback")

    def recommend_session(self, events: Sequence[SessionEvent], user_id: str | None = None, n: int = 10,
                          exclude_purchased: bool = True, placement: str | None = None) -> Answer:
        """Fold a live session (plus the user's stored history, if known) into a fresh user vector."""
        items = np.array([self.item_index.get(e.item_id, -1) for e in events], dtype=np.int64)
        seen = items >= 0
        row = self.user_index.get(user_id, -1) if user_id is not None else -1
        if not seen.any() and row < 0:
            context = self.request_context(placement, user_id)
            return self._popular_answer(n, context, strategy="popular_fallback")
        session = [e for e, ok in zip(events, seen) if ok]
        history = self._session_history(row, items[seen], session)
        return self._personalized(history, n, exclude_purchased, placement, [user_id], "session",
                                  session_items=items[seen], purchase_rows=np.array([row]))[0]

    def _session_history(self, row: int, items: np.ndarray, events: Sequence[SessionEvent]) -> UserHistory:
        """One history row from the session's events (weighted like training) plus the user's stored
        rows; carts and purchases count as the basket. A session has a handful of events, so they
        are summed in plain Python: numpy's per-call overhead would cost more."""
        config = self.model.interactions
        codes = [EVENT_CODES[e.event] for e in events]
        ages = np.array([e.age_days for e in events], dtype=np.float64)
        weights = event_contributions(np.array(codes, dtype=np.int8), np.ones(len(codes)), ages, config).tolist()
        confidence: dict[int, float] = {}
        basket: dict[int, float] = {}
        for item, code, weight in zip(items.tolist(), codes, weights):
            confidence[item] = confidence.get(item, 0.0) + weight
            basket[item] = basket.get(item, 0.0) + (code > 0)
        if config.log_scale:
            confidence = {item: math.log1p(value) for item, value in confidence.items()}
        if row >= 0:
            _add_row(confidence, self.model.confidence, row)
            _add_row(basket, self.model.purchases, row)
        n_items = len(self.model.item_ids)
        return UserHistory(np.array([-1]), _one_row(confidence, n_items), _one_row(basket, n_items))

    def _personalized(self, history: UserHistory, n: int, exclude_purchased: bool, placement: str | None,
                      user_ids: Sequence[str | None], strategy: str, session_items: np.ndarray | None = None,
                      purchase_rows: np.ndarray | None = None) -> list[Answer]:
        """Blend, mask and cut the whole batch at once; only re-ranking and reasons run per user.

        ``purchase_rows`` are the users' rows in ``last_purchase`` (default: ``history.users``)."""
        rule = self.purchase_rule(placement)
        exclude_purchased = exclude_purchased and rule.exclude
        blend = self.blends["new_items" if exclude_purchased else "all_purchases"]
        blended = blend.score(history)
        total = blended.total
        baskets = _row_indices(history.purchases)
        purchase_rows = history.users if purchase_rows is None else purchase_rows
        excluded = [self._exclusions(basket, exclude_purchased, session_items, row, rule.after_days)
                    for basket, row in zip(baskets, purchase_rows)]
        rows = np.repeat(np.arange(len(history)), [len(e) for e in excluded])
        total[rows, np.concatenate(excluded) if excluded else rows] = -np.inf
        top, scores = top_n(total, n * OVERFETCH)
        sources = blended.strongest(np.broadcast_to(np.arange(len(history))[:, None], top.shape), top)
        answers = []
        for u in range(len(history)):
            finite = np.isfinite(scores[u])
            candidates = Candidates(top[u][finite], scores[u][finite], sources[u][finite])
            context = self.request_context(placement, user_ids[u], excluded[u])
            grow = _Scored(blended, u)
            picks = self._finish(candidates, n, context, grow, baskets[u], session_items)
            answers.append(Answer(picks, strategy if picks and picks[0].source != "popularity" else "popular_fallback"))
        return answers

    def _exclusions(self, basket: np.ndarray, exclude_purchased: bool, session_items: np.ndarray | None,
                    row: int, after_days: float | None) -> np.ndarray:
        excluded = self._recent_purchases(basket, row, after_days) if exclude_purchased else np.array([], np.int64)
        if session_items is not None:
            excluded = np.union1d(excluded, session_items)
        return np.asarray(excluded, dtype=np.int64)

    def _recent_purchases(self, basket: np.ndarray, row: int, after_days: float | None) -> np.ndarray:
        """The basket less the items whose last purchase is at least ``after_days`` old (consumables)."""
        ages = self.model.last_purchase
        if after_days is None or ages is None or row < 0:
            return basket
        part = slice(ages.indptr[row], ages.indptr[row + 1])
        return np.setdiff1d(basket, ages.indices[part][ages.data[part] >= after_days])

    # ---- item-based ------------------------------------------------------------------------
    def related_items(self, item_id: str, n: int = 10, placement: str | None = None) -> Answer:
        """Nearest item vectors by cosine blended with the item's co-purchase partners; the
        neighbours come from Annoy only when training measured it faster than exact scoring."""
        item = self.item(item_id)
        context = self.request_context(placement, exclude=np.array([item]))
        picks = self._finish(self._related(item, n * OVERFETCH), n, context, lambda: self._related(item, None),
                             anchor=item)
        return Answer(picks, "related")

    def _related(self, item: int, k: int | None) -> Candidates:
        """The ``k`` nearest items (stored by training, else searched exactly or with Annoy as
        training chose), or every item by exact cosine when ``k`` is None, plus partners."""
        n_items = len(self.model.item_ids)
        neighbours = self.model.neighbours
        if k is None:
            ids, cosine = np.arange(n_items), self.item_unit @ self.item_unit[item]
        elif neighbours is not None and k <= neighbours.k:
            ids, cosine = neighbours.of(item, k)
        elif self.model.scoring == "exact":
            ids, cosine = exact_top_n(self.item_unit[item], self.item_unit, k, exclude=np.array([item]))
        else:
            ids, cosine = self.model.indexes["items"].query_item(item, k)
        partners = self.model.copurchase.bought_together(item, n_items if k is None else k)
        keep, where = np.unique(np.concatenate([ids, partners.ids]).astype(np.int64), return_inverse=True)
        scores = np.zeros(len(keep), dtype=np.float32)
        scores[where[: len(ids)]] = 0.5 * np.clip(cosine, 0, None)
        from_partners = np.zeros(len(keep), dtype=bool)
        if len(partners.ids):
            scores[where[len(ids):]] += 0.5 * partners.lift / partners.lift.max()
            from_partners[where[len(ids):]] = True
        mine = keep != item
        keep, scores, from_partners = keep[mine], scores[mine], from_partners[mine]
        order = np.lexsort((keep, -scores))
        return Candidates(keep[order], scores[order], np.where(from_partners[order], "copurchase", "als"))

    def bought_together(self, item_id: str, n: int = 10, placement: str | None = None) -> list[dict]:
        """The item's association-rule partners with support, confidence and lift, rules applied
        (an item a rule pins without being a partner has zeros); never filled with other items."""
        item = self.item(item_id)
        context = self.request_context(placement, exclude=np.array([item]))
        partners = self.model.copurchase.bought_together(item, n * OVERFETCH)
        ranked = self.reranker.apply(_partner_candidates(partners), context)
        if len(ranked) < n and len(partners.ids) == n * OVERFETCH:
            partners = self.model.copurchase.bought_together(item, len(self.model.item_ids))
            ranked = self.reranker.apply(_partner_candidates(partners), context)
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
        if not len(basket):
            return self._popular_answer(n, context, strategy="popular_fallback")
        scores = self.model.copurchase.score_basket(basket)
        scores[basket] = 0
        hits = np.flatnonzero(scores > 0)
        ranked = hits[np.lexsort((hits, -scores[hits]))]

        def best(k: int | None) -> Candidates:
            return Candidates(ranked[:k], scores[ranked[:k]], np.full(len(ranked[:k]), "copurchase"))

        picks = self._finish(best(n * OVERFETCH), n, context, lambda: best(None), basket)
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
        model = self.model.trending if trending else self.model.popularity
        code = self.category_index.get(category) if category is not None else None
        source = "trending" if trending else "popularity"
        ids, scores = model.top(n * OVERFETCH, category=code, exclude=context.exclude)
        peak = scores[0] if len(scores) and scores[0] > 0 else 1.0

        def every() -> Candidates:
            ids, scores = model.top(len(self.model.item_ids), category=code, exclude=context.exclude)
            return Candidates(ids, scores / peak, np.full(len(ids), source))

        candidates = Candidates(ids, scores / peak, np.full(len(ids), source))
        picks = self._finish(candidates, n, context, every, category=category, trending=trending)
        return Answer(picks, strategy)

    # ---- similar users ---------------------------------------------------------------------
    def similar_users(self, user_id: str, n: int = 10) -> list[tuple[str, float]]:
        ids, similarity = self.model.indexes["users"].query_item(self.user_index[user_id], n)
        return [(str(self.model.user_ids[i]), float(s)) for i, s in zip(ids, similarity)]

    # ---- re-ranking, fallback and reasons ----------------------------------------------------
    def _finish(self, candidates: Candidates, n: int, context: RequestContext,
                grow: Callable[[], Candidates] | None = None, basket: np.ndarray | None = None,
                session_items: np.ndarray | None = None, anchor: int | None = None, category: str | None = None,
                trending: bool = False) -> list[Pick]:
        """Re-rank; when fewer than ``n`` remain, re-rank every candidate ``grow`` gives, then that
        pool with popular items behind it; cut to ``n`` and explain each pick."""
        ranked = self.reranker.apply(candidates, context)
        if len(ranked) < n and grow is not None:
            candidates = grow()
            ranked = self.reranker.apply(candidates, context)
        if len(ranked) < n:
            ranked = self.reranker.apply(self._with_popular(candidates, context, category, trending), context)
        ranked = ranked.take(np.arange(min(n, len(ranked))))
        viewed = self._closest_viewed(ranked.items, session_items)
        partners = self._bought_with(ranked.items, ranked.sources, basket)
        return [
            Pick(self.item_id_list[i], s, self._reason(i, src, partner, v, anchor), src)
            for i, s, src, partner, v in zip(ranked.items.tolist(), ranked.scores.tolist(), ranked.sources.tolist(),
                                             partners, viewed)
        ]

    def _bought_with(self, items: np.ndarray, sources: np.ndarray, basket: np.ndarray | None) -> list[int | None]:
        """For each co-purchase pick, the basket item whose rule toward it is strongest (the lowest
        id on ties); ``None`` for the others."""
        wanted = items[sources == "copurchase"]
        if basket is None or not len(basket) or not len(wanted):
            return [None] * len(items)
        antecedents = np.sort(basket)
        positions, lengths = entry_positions(self.rules.indptr, antecedents)
        mine = np.isin(self.rules.indices[positions], wanted)
        best: dict[int, tuple[float, int]] = {}
        for partner, strength, antecedent in zip(self.rules.indices[positions[mine]].tolist(),
                                                 self.rules.data[positions[mine]].tolist(),
                                                 np.repeat(antecedents, lengths)[mine].tolist()):
            if partner not in best or strength > best[partner][0]:
                best[partner] = (strength, antecedent)
        return [best[i][1] if i in best else None for i in items.tolist()]

    def _closest_viewed(self, items: np.ndarray, session_items: np.ndarray | None) -> list[int | None]:
        """For each item, the session item most similar to it (cosine of ALS vectors), if any."""
        if session_items is None or not len(session_items) or not len(items):
            return [None] * len(items)
        similarity = self.item_unit[items] @ self.item_unit[session_items].T
        return session_items[np.argmax(similarity, axis=1)].tolist()

    def _with_popular(self, candidates: Candidates, context: RequestContext, category: str | None,
                      trending: bool) -> Candidates:
        """``candidates`` followed by every other popular item (tiny scores, marked ``fallback``)."""
        model = self.model.trending if trending else self.model.popularity
        taken = np.union1d(candidates.items, context.exclude)
        code = self.category_index.get(category) if category is not None else None
        ids, scores = model.top(len(self.model.item_ids), category=code, exclude=taken)
        scores = scale_rows(scores[None, :].astype(np.float32))[0] * 1e-3 if len(scores) else scores
        filler = Candidates(ids, scores, np.full(len(ids), "popularity"), np.ones(len(ids), dtype=bool))
        return Candidates(*(np.concatenate([a, b]) for a, b in (
            (candidates.items, filler.items), (candidates.scores, filler.scores),
            (candidates.sources.astype(str), filler.sources), (candidates.tiers.astype(bool), filler.fallback))))

    def _reason(self, item: int, source: str, partner: int | None, viewed: int | None, anchor: int | None) -> str:
        titles = self.model.titles
        if source == "pinned":
            return "featured"
        if anchor is not None:
            verb = "bought together with" if source == "copurchase" else "similar to"
            return f"{verb} {titles[anchor]}" if source != "popularity" else "popular right now"
        if source == "copurchase" and partner is not None:
            return f"bought together with {titles[partner]}"
        if source == "buy_again":
            return "you bought this before"
        if source in ("als", "item_knn", "ease"):
            if viewed is not None:
                return f"because you viewed {titles[viewed]}"
            return "customers like you bought this"
        if source == "trending":
            return "trending now"
        return f"popular in {self.model.category_names[self.model.item_category[item]]}"


class _Scored:
    """Every item one user's blend scored (finite), best first: the grown candidate set."""

    def __init__(self, blended: Blended, row: int) -> None:
        self.blended, self.row = blended, row

    def __call__(self) -> Candidates:
        total = self.blended.total[self.row]
        ids = np.flatnonzero(np.isfinite(total))
        order = ids[np.lexsort((ids, -total[ids]))]
        sources = self.blended.strongest(np.full(len(order), self.row), order)
        return Candidates(order, total[order], sources.astype(str))


def _partner_candidates(partners) -> Candidates:
    return Candidates(partners.ids.astype(np.int64), partners.lift, np.full(len(partners.ids), "copurchase"))


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _add_row(values: dict[int, float], matrix: sp.csr_matrix, row: int) -> None:
    """Add row ``row`` of ``matrix`` into ``values`` (column -> value)."""
    part = slice(matrix.indptr[row], matrix.indptr[row + 1])
    for col, value in zip(matrix.indices[part].tolist(), matrix.data[part].tolist()):
        values[col] = values.get(col, 0.0) + value


def _one_row(values: dict[int, float], n_items: int) -> CsrRows:
    """A 1 × n_items row of the non-zero ``values`` (column -> value)."""
    cols = sorted(col for col, value in values.items() if value != 0)
    return CsrRows(np.array([values[c] for c in cols], dtype=np.float32), np.array(cols, dtype=np.int32),
                   np.array([0, len(cols)]), (1, n_items))


def _row_indices(matrix: sp.csr_matrix) -> list[np.ndarray]:
    """The column indices of each row, sliced straight from the CSR arrays (no row copies)."""
    return [matrix.indices[start:stop].astype(np.int64) for start, stop in zip(matrix.indptr[:-1], matrix.indptr[1:])]
