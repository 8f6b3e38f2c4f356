"""The serving request path on a small demo store with planted structure."""
from dataclasses import replace

import numpy as np
import pytest

from recommender.engine import Candidates, RecommendationEngine, SessionEvent
from recommender.errors import UnknownItemError


@pytest.fixture(scope="module")
def engine(demo_version):
    return RecommendationEngine(demo_version.model)


def category_of(engine, item_id):
    model = engine.model
    return model.category_names[model.item_category[engine.item_index[item_id]]]


def test_known_user_gets_new_items_only(engine, demo_store):
    user = demo_store.events.loc[demo_store.events.event == "purchase", "user_id"].iloc[0]
    answer = engine.recommend_user(user, n=10)
    assert answer.strategy == "personalized"
    assert len(answer.picks) == 10
    bought = set(demo_store.events.loc[(demo_store.events.user_id == user) & (demo_store.events.event == "purchase"), "item_id"])
    assert not bought & {p.item_id for p in answer.picks}
    scores = [p.score for p in answer.picks]
    assert scores == sorted(scores, reverse=True)
    assert all(p.reason for p in answer.picks)


def test_buy_again_mode_may_return_purchases(engine, demo_store):
    events = demo_store.events
    repeaters = events[events.event == "purchase"].groupby("user_id").item_id.nunique()
    user = repeaters.idxmax()
    answer = engine.recommend_user(user, n=10, exclude_purchased=False)
    bought = set(events.loc[(events.user_id == user) & (events.event == "purchase"), "item_id"])
    assert bought & {p.item_id for p in answer.picks}


def test_unknown_user_falls_back_to_popular(engine):
    answer = engine.recommend_user("never-seen", n=7)
    assert answer.strategy == "popular_fallback"
    assert len(answer.picks) == 7
    assert len({p.item_id for p in answer.picks}) == 7


def test_related_products_of_a_complement_include_its_partner(engine, demo_store):
    pairs = demo_store.complements[:10]
    found = 0
    for a, b in pairs:
        picks = engine.related_items(a, n=5).picks
        found += b in [p.item_id for p in picks]
        assert a not in [p.item_id for p in picks]
    assert len(pairs) >= 4 and found >= 0.8 * len(pairs)


def test_cart_complements_combine_rules_and_leave_out_the_basket(engine, demo_store):
    (a, b), (c, d) = demo_store.complements[:2]
    answer = engine.cart_complements([a, c], n=6)
    ids = [p.item_id for p in answer.picks]
    assert answer.strategy == "bought_together"
    assert {b, d} <= set(ids)
    assert not {a, c} & set(ids)
    reason = answer.picks[ids.index(b)].reason
    assert reason.startswith("bought together with")


def test_bought_together_puts_planted_partners_on_top_by_lift(engine, demo_store):
    pairs = demo_store.complements
    first = [engine.bought_together(a, n=3)[0]["item_id"] == b for a, b in pairs]
    assert np.mean(first) >= 0.8
    rule = engine.bought_together(pairs[0][0], n=3)[0]
    assert rule["lift"] > 1 and 0 < rule["confidence"] <= 1 and 0 < rule["support"] <= 1


def test_session_of_one_taste_group_gets_that_groups_categories(engine, demo_store):
    catalog = demo_store.catalog.set_index("item_id")
    group = 0
    wanted = set(demo_store.group_categories[group])
    in_group = catalog[catalog.category.isin(wanted)].index
    viewed = [i for i in in_group if i in engine.item_index][:4]
    answer = engine.recommend_session([SessionEvent(i, "view") for i in viewed], n=10)
    assert answer.strategy == "session"
    share = np.mean([category_of(engine, p.item_id) in wanted for p in answer.picks])
    assert share >= 0.7
    assert not set(viewed) & {p.item_id for p in answer.picks}


def test_session_with_only_unknown_items_falls_back(engine):
    answer = engine.recommend_session([SessionEvent("nope", "view")], n=3)
    assert answer.strategy == "popular_fallback" and len(answer.picks) == 3


def test_popular_overall_and_per_category(engine):
    category = engine.model.category_names[0]
    picks = engine.popular(n=5, category=category).picks
    assert picks and all(category_of(engine, p.item_id) == category for p in picks)
    assert engine.popular(n=5).picks[0].score == pytest.approx(1.0)
    with pytest.raises(UnknownItemError):
        engine.popular(n=5, category="no such category")


def test_batch_equals_single_requests(engine, demo_store):
    users = list(demo_store.events.user_id.unique()[:20]) + ["unknown"]
    batch = engine.recommend_users(users, n=5)
    assert [[p.item_id for p in a.picks] for a in batch] == \
        [[p.item_id for p in engine.recommend_user(u, n=5).picks] for u in users]


def test_similar_users_are_ranked_by_similarity(engine, demo_store):
    user = demo_store.events.user_id.iloc[0]
    similar = engine.similar_users(user, n=5)
    assert len(similar) == 5 and user not in [u for u, _ in similar]
    assert [s for _, s in similar] == sorted((s for _, s in similar), reverse=True)


class DropCategory:
    """A re-ranker that removes one category, like an exclusion rule."""

    def __init__(self, engine, category):
        self.mask = engine.model.category_names[engine.model.item_category] == category

    def apply(self, candidates: Candidates, context) -> Candidates:
        return candidates.take(~self.mask[candidates.items])


def test_reranker_applies_to_candidates_and_fallback(demo_version, demo_store):
    plain = RecommendationEngine(demo_version.model)
    user = demo_store.events.user_id.iloc[0]
    category = category_of(plain, plain.recommend_user(user, n=1).picks[0].item_id)
    ruled = RecommendationEngine(demo_version.model, DropCategory(plain, category))
    for answer in (ruled.recommend_user(user, n=20), ruled.popular(n=20), ruled.recommend_user("unknown", n=20)):
        assert len(answer.picks) == 20
        assert all(category_of(plain, p.item_id) != category for p in answer.picks)


def test_annoy_scoring_agrees_with_exact_scoring(demo_version, demo_store, monkeypatch):
    monkeypatch.setattr("recommender.engine.engine.ANN_CANDIDATES", 30)
    exact = RecommendationEngine(replace(demo_version.model, candidates=None))
    approximate = RecommendationEngine(replace(demo_version.model, scoring="annoy", candidates=None))
    users = list(demo_store.events.user_id.unique()[:50])
    overlap = [
        len({p.item_id for p in a.picks} & {p.item_id for p in b.picks}) / 10
        for a, b in zip(exact.recommend_users(users, n=10), approximate.recommend_users(users, n=10))
    ]
    assert np.mean(overlap) >= 0.8


def picks_of(answer):
    return [(p.item_id, p.source, p.reason) for p in answer.picks]


def test_stored_candidates_answer_like_live_scoring(demo_version, demo_store):
    assert demo_version.model.candidates is not None
    stored = RecommendationEngine(demo_version.model)
    live = RecommendationEngine(replace(demo_version.model, candidates=None))
    users = list(demo_store.events.user_id.unique()[:60])
    for n in (10, 25):  # 25 × OVERFETCH is more than the stored candidates: scored live
        for a, b in zip(stored.recommend_users(users, n=n), live.recommend_users(users, n=n)):
            assert picks_of(a) == picks_of(b) and a.strategy == b.strategy


def test_stored_repeat_lists_answer_replenishment_like_live_scoring(demo_version, demo_store):
    model = demo_version.model
    assert model.repeat_candidates is not None
    stored = RecommendationEngine(model)
    live = RecommendationEngine(replace(model, repeat_candidates=None))
    users = list(demo_store.events.user_id.unique()[:60])
    answers = stored.recommend_users(users, n=10, exclude_purchased=False)
    again = 0
    for user, a, b in zip(users, answers, live.recommend_users(users, n=10, exclude_purchased=False)):
        assert picks_of(a) == picks_of(b) and a.strategy == b.strategy
        bought = set(model.item_ids[model.purchases[stored.user_index[user]].indices])
        again += len(bought & {pick.item_id for pick in a.picks})
    assert again > 0  # replenishment answers bring back what customers bought


class DropItems:
    def __init__(self, items):
        self.items = np.asarray(items)

    def apply(self, candidates: Candidates, context) -> Candidates:
        return candidates.take(~np.isin(candidates.items, self.items))


def test_rules_that_empty_the_stored_candidates_get_the_live_blend(demo_version, demo_store):
    model = demo_version.model
    user = demo_store.events.user_id.iloc[0]
    stored_items = model.candidates.row(RecommendationEngine(model).user_index[user])[0]
    rule = DropItems(stored_items)
    stored = RecommendationEngine(model, rule).recommend_user(user, n=10)
    live = RecommendationEngine(replace(model, candidates=None), rule).recommend_user(user, n=10)
    assert len(stored.picks) == 10 and picks_of(stored) == picks_of(live)
    assert stored.strategy == "personalized"


def test_related_products_from_stored_neighbours_match_the_exact_search(demo_version):
    assert demo_version.model.neighbours is not None
    stored = RecommendationEngine(demo_version.model)
    searched = RecommendationEngine(replace(demo_version.model, neighbours=None))
    for item in demo_version.model.item_ids[:40].tolist():
        assert picks_of(stored.related_items(item, n=10)) == picks_of(searched.related_items(item, n=10))


def test_reasons_name_the_evidence_a_customer_can_recognise(demo_version, demo_store):
    model = demo_version.model
    engine = RecommendationEngine(model)
    users = [u for u in demo_store.events.user_id.unique()[:120] if u in engine.user_index]
    generic = total = bought_named = 0
    for user, answer in zip(users, engine.recommend_users(users, n=10)):
        bought = {model.titles[i] for i in model.purchases[engine.user_index[user]].indices}
        for pick in answer.picks:
            total += 1
            generic += pick.reason == "customers like you bought this"
            if pick.reason.startswith("because you bought "):
                assert pick.reason.removeprefix("because you bought ") in bought
                bought_named += 1
    assert bought_named > total / 3 and generic < total / 10
    rhythmic = 0
    for user, answer in zip(users, engine.recommend_users(users, n=10, exclude_purchased=False)):
        row = engine.user_index[user]
        for pick in answer.picks:
            days = model.rhythm[row, engine.item_index[pick.item_id]]
            if days:
                assert pick.reason == f"you buy this about every {max(1, round(days))} days" or pick.source == "pinned"
                rhythmic += 1
    assert rhythmic > 0


def test_a_live_session_adds_session_knn_with_the_weight_training_chose(demo_version, demo_store):
    model = demo_version.model
    assert model.session_knn is not None
    viewed = list(demo_store.events.item_id.unique()[:3])
    events = [SessionEvent(i, "view") for i in viewed]
    without = RecommendationEngine(replace(model, session_weight=0.0)).recommend_session(events, n=10)
    engine = RecommendationEngine(replace(model, session_weight=1e4))
    alone = engine.recommend_session(events, n=10)
    order = [engine.item_index[i] for i in viewed]
    scores = model.session_knn.score_sequence(np.array(order))
    scores[order] = -np.inf
    expected = [model.item_ids[i] for i in np.argsort(-scores, kind="stable")[:5]]
    assert [p.item_id for p in alone.picks[:5]] == expected
    assert {p.source for p in alone.picks[:5]} == {"session_knn"}
    assert all(p.reason.startswith("because you viewed ") for p in alone.picks[:5])
    assert [p.item_id for p in alone.picks] != [p.item_id for p in without.picks]
    assert "session_knn" not in {p.source for p in without.picks}
