"""The demo store keeps the canonical contract and carries the structure it claims to plant."""
import numpy as np
import pandas as pd
import pytest

from training.demo import DemoStore, generate_demo_store, write_demo_store

N_USERS, N_ITEMS, DAYS, END = 300, 120, 120, "2026-01-01"


@pytest.fixture(scope="module")
def store() -> DemoStore:
    return generate_demo_store(N_USERS, N_ITEMS, seed=7, days=DAYS, end=END)


@pytest.fixture(scope="module")
def purchases(store: DemoStore) -> pd.DataFrame:
    events = store.events
    return events[events["event"] == "purchase"]


def test_same_seed_writes_identical_files_and_another_seed_differs(tmp_path):
    paths = [write_demo_store(generate_demo_store(N_USERS, N_ITEMS, seed=seed), tmp_path / name)
             for name, seed in [("a", 1), ("b", 1), ("c", 2)]]
    contents = [[path.read_bytes() for path in pair] for pair in paths]
    assert contents[0] == contents[1]
    assert contents[0][0] != contents[2][0]


def test_events_follow_the_canonical_contract(store):
    events = store.events
    assert list(events.columns) == [
        "timestamp", "user_id", "item_id", "event", "quantity", "price", "order_id"]
    assert str(events["timestamp"].dtype) == "datetime64[ns, UTC]"
    for column in ["user_id", "item_id", "event", "order_id"]:
        assert events[column].dtype == object
    assert events["quantity"].dtype == np.float64 and events["price"].dtype == np.float64
    assert set(events["event"]) == {"view", "cart", "purchase"}
    assert events["user_id"].str.fullmatch(r"u\d{5}").all()
    assert events["item_id"].isin(store.catalog["item_id"]).all()
    assert events["timestamp"].is_monotonic_increasing
    end = pd.Timestamp(END, tz="UTC")
    assert events["timestamp"].min() >= end - pd.Timedelta(days=DAYS)
    assert events["timestamp"].max() < end
    assert (events["quantity"] >= 1).all() and (events["quantity"] == 1).mean() > 0.8
    prices = store.catalog.set_index("item_id")["price"]
    assert np.array_equal(events["price"].to_numpy(), prices[events["item_id"]].to_numpy())


def test_size_follows_events_per_user(store):
    assert len(store.events) / N_USERS == pytest.approx(30.0, rel=0.15)
    assert set(store.user_groups) == {f"u{i:05d}" for i in range(1, N_USERS + 1)}


def test_catalog_has_categories_prices_and_some_items_out_of_stock(store):
    catalog = store.catalog
    assert list(catalog.columns) == [
        "item_id", "title", "category", "price", "in_stock", "brand", "margin", "url", "image_url"]
    assert catalog["image_url"].tolist()[0] == "/demo/store/images/p00001.svg"
    assert catalog["url"].tolist()[0] == "/demo/store/product/p00001"
    assert catalog["item_id"].tolist() == [f"p{i:05d}" for i in range(1, N_ITEMS + 1)]
    assert catalog["in_stock"].dtype == bool and 0 < (~catalog["in_stock"]).sum() < N_ITEMS / 10
    assert (catalog["price"] > 0).all() and catalog["margin"].between(0, 1).all()
    assert catalog["category"].value_counts().min() >= 2
    assert 2 <= catalog["category"].nunique() <= 24


def test_purchases_and_only_purchases_carry_an_order_of_one_user(store, purchases):
    events = store.events
    assert purchases["order_id"].notna().all()
    assert events.loc[events["event"] != "purchase", "order_id"].isna().all()
    per_order = purchases.groupby("order_id").agg(
        users=("user_id", "nunique"), times=("timestamp", "nunique"))
    assert (per_order["users"] == 1).all() and (per_order["times"] == 1).all()
    assert not purchases.duplicated(["order_id", "item_id"]).any()


def test_sessions_go_from_view_to_cart_to_purchase(store, purchases):
    events = store.events
    counts = events["event"].value_counts()
    assert counts["view"] > counts["cart"] > counts["purchase"]
    first_view = events[events["event"] == "view"].groupby(["user_id", "item_id"])["timestamp"].min()
    bought = purchases.join(first_view.rename("first_view"), on=["user_id", "item_id"])
    assert (bought["first_view"] < bought["timestamp"]).mean() > 0.95


def test_planted_complements_are_bought_together_far_more_than_chance(store, purchases):
    """Lift = P(A and B in an order) / (P(A) P(B)), and B is what A is most often bought with."""
    baskets = purchases[["order_id", "item_id"]]
    n_orders = baskets["order_id"].nunique()
    orders_with = baskets["item_id"].value_counts()
    pairs = baskets.merge(baskets, on="order_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["item_id_a"] != pairs["item_id_b"]]
    together = pairs.groupby(["item_id_a", "item_id_b"]).size()
    planted = pd.MultiIndex.from_tuples(store.complements)
    both = together.reindex(planted, fill_value=0).to_numpy()
    expected = (orders_with.reindex(planted.get_level_values(0), fill_value=0).to_numpy()
                * orders_with.reindex(planted.get_level_values(1), fill_value=0).to_numpy()
                / n_orders)
    assert len(store.complements) >= 4
    assert both.sum() / expected.sum() > 5
    most_together = together.groupby(level=0).max()
    for (anchor, partner), count in zip(store.complements, both):
        if orders_with.get(anchor, 0) >= 5:
            assert count == most_together[anchor], (anchor, partner)


def test_each_taste_group_buys_mostly_from_its_categories(store, purchases):
    category = purchases["item_id"].map(store.catalog.set_index("item_id")["category"])
    group = purchases["user_id"].map(store.user_groups)
    assert all(2 <= len(names) <= 3 for names in store.group_categories.values())
    for g, names in store.group_categories.items():
        liked = category.isin(names)
        own_share = liked[group == g].mean()
        others_share = liked[group != g].mean()
        assert own_share > 0.6 and own_share > 2 * others_share, (g, own_share, others_share)


def test_taste_is_stable_so_the_last_days_are_predictable(store, purchases):
    category = purchases["item_id"].map(store.catalog.set_index("item_id")["category"])
    liked = [c in store.group_categories[store.user_groups[u]]
             for u, c in zip(purchases["user_id"], category)]
    liked = pd.Series(liked, index=purchases.index)
    cut = pd.Timestamp(END, tz="UTC") - pd.Timedelta(days=0.15 * DAYS)
    late = purchases["timestamp"] >= cut
    assert late.mean() > 0.1
    assert abs(liked[late].mean() - liked[~late].mean()) < 0.15


def test_popularity_has_a_long_tail(store):
    counts = store.events["item_id"].value_counts()
    top_tenth = counts.iloc[: N_ITEMS // 10].sum() / counts.sum()
    bottom_half = counts.iloc[N_ITEMS // 2:].sum() / counts.sum()
    assert top_tenth > 0.25 and top_tenth > bottom_half


def test_there_are_browsers_one_time_buyers_and_repeat_buyers(store, purchases):
    orders = purchases.groupby("user_id")["order_id"].nunique()
    assert (orders == 1).sum() > 0.2 * N_USERS
    assert (orders >= 3).sum() > 0.2 * N_USERS
    assert 0 < N_USERS - len(orders) < 0.3 * N_USERS


def test_consumables_are_rebought_far_more_than_other_items(store, purchases):
    orders = purchases.groupby(["user_id", "item_id"])["order_id"].nunique().reset_index()
    consumable = orders["item_id"].isin(store.consumables)
    assert 0 < consumable.mean() < 0.5
    rebought = orders["order_id"] >= 2
    assert rebought[consumable].mean() > 0.3
    assert rebought[consumable].mean() > 3 * rebought[~consumable].mean()


def test_written_files_read_back_unchanged(store, tmp_path):
    events_path, catalog_path = write_demo_store(store, tmp_path / "demo")
    assert events_path.read_text().splitlines()[1].split(",")[0].endswith("Z")
    events = pd.read_csv(events_path, dtype={"order_id": object})
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True).astype("datetime64[ns, UTC]")
    expected = store.events.fillna({"order_id": np.nan})
    pd.testing.assert_frame_equal(events, expected, check_dtype=False)
    catalog = pd.read_csv(catalog_path)
    pd.testing.assert_frame_equal(catalog, store.catalog, check_dtype=False)


@pytest.mark.parametrize("argument", [{"n_users": 0}, {"n_items": 5}, {"events_per_user": 0},
                                      {"days": 0}])
def test_bad_arguments_are_refused(argument):
    with pytest.raises(ValueError, match=next(iter(argument))):
        generate_demo_store(**argument)
