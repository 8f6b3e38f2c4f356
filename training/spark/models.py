"""ALS, co-purchase rules and popularity fitted on Spark, returned as the default engine's models."""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame, SparkSession

from recommender.als import ALSModel
from recommender.copurchase import RANK_DECIMALS, CoPurchaseModel
from recommender.popularity import PopularityModel
from training.config import ALSConfig, CoPurchaseConfig
from training.dataset import PURCHASE, Dataset

# Baskets weigh min(1, max_basket_size / size), as in CoPurchaseModel.fit.
BASKETS = """
WITH lines AS (SELECT DISTINCT basket, item FROM basket_lines),
sizes AS (SELECT basket, COUNT(*) AS size FROM lines GROUP BY basket),
weighted AS (SELECT l.basket, l.item, LEAST(1.0D, {max_basket_size}D / s.size) AS weight
             FROM lines l JOIN sizes s ON l.basket = s.basket),
total AS (SELECT SUM(LEAST(1.0D, {max_basket_size}D / size)) AS n_baskets FROM sizes),
items AS (SELECT item, SUM(weight) AS n FROM weighted GROUP BY item)"""
ITEMS_SQL = BASKETS + " SELECT item, n, n_baskets FROM items CROSS JOIN total"
RULES_SQL = BASKETS + """,
frequent AS (SELECT w.basket, w.item, w.weight FROM weighted w JOIN items i ON w.item = i.item CROSS JOIN total t
             WHERE ROUND(i.n, {decimals}) >= {min_count}D AND ROUND(i.n / t.n_baskets, {decimals}) >= {min_support}D),
pairs AS (SELECT a.item AS a, b.item AS b, SUM(a.weight) AS count
          FROM frequent a JOIN frequent b ON a.basket = b.basket AND a.item != b.item GROUP BY a.item, b.item),
rules AS (SELECT p.a, p.b, p.count, p.count / ia.n AS confidence,
                 (p.count * t.n_baskets) / (ia.n * ib.n) AS lift
          FROM pairs p JOIN items ia ON p.a = ia.item JOIN items ib ON p.b = ib.item CROSS JOIN total t
          WHERE ROUND(p.count, {decimals}) >= {min_count}D
                AND ROUND(p.count / t.n_baskets, {decimals}) >= {min_support}D),
ranked AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY ROUND({rank_by}, {decimals}) DESC,
                                     ROUND(count, {decimals}) DESC, b) AS rank FROM rules)
SELECT a, b, count, confidence, lift FROM ranked WHERE rank <= {top_k}
"""


def _frame(spark: SparkSession, columns: dict[str, np.ndarray]) -> DataFrame:
    """numpy columns as a Spark DataFrame (through Arrow)."""
    return spark.createDataFrame(pd.DataFrame(columns))


def fit_als(spark: SparkSession, confidence: sp.csr_matrix, config: ALSConfig) -> ALSModel:
    """Spark ML's implicit ALS on the same confidence matrix and settings.

    Spark weighs the regularisation of each user and item by its number of ratings ("ALS-WR"),
    implicit does not; dividing by the mean number per user keeps the average user's penalty the
    same. Users or items without ratings get zero vectors, as with implicit."""
    coo = confidence.tocoo()
    ratings = _frame(spark, {"user": coo.row.astype(np.int32), "item": coo.col.astype(np.int32),
                             "rating": coo.data.astype(np.float32)})
    per_user = confidence.nnz / max(1, int((np.diff(confidence.indptr) > 0).sum()))
    blocks = max(1, spark.sparkContext.defaultParallelism)
    fitted = ALS(rank=config.factors, maxIter=config.iterations, regParam=config.regularization / per_user,
                 alpha=config.alpha, implicitPrefs=True, userCol="user", itemCol="item", ratingCol="rating",
                 seed=config.random_state, numUserBlocks=blocks, numItemBlocks=blocks).fit(ratings)
    arrays = {"user_factors": _factors(fitted.userFactors, confidence.shape[0], config.factors),
              "item_factors": _factors(fitted.itemFactors, confidence.shape[1], config.factors)}
    return ALSModel.from_arrays(arrays, **{k: v for k, v in vars(config).items() if k != "factors"})


def _factors(frame: DataFrame, rows: int, factors: int) -> np.ndarray:
    table = frame.toPandas()
    out = np.zeros((rows, factors), dtype=np.float32)
    if len(table):
        out[table["id"].to_numpy()] = np.stack(table["features"].to_numpy()).astype(np.float32)
    return out


def fit_copurchase(spark: SparkSession, data: Dataset, config: CoPurchaseConfig) -> CoPurchaseModel:
    """The rules of ``CoPurchaseModel.fit`` in Spark SQL: the same weights, thresholds and cut."""
    model = CoPurchaseModel(**vars(config))
    in_basket = data.basket >= 0
    if not in_basket.any():
        raise ValueError("baskets contain no items")
    _frame(spark, {"basket": data.basket[in_basket], "item": data.item[in_basket]}).createOrReplaceTempView(
        "basket_lines")
    params = {"max_basket_size": model.max_basket_size, "min_count": round(float(model.min_count), RANK_DECIMALS),
              "min_support": round(float(model.min_support), RANK_DECIMALS), "rank_by": model.rank_by, "top_k": model.top_k,
              "decimals": RANK_DECIMALS}
    rules = spark.sql(RULES_SQL.format(**params)).toPandas()
    items = spark.sql(ITEMS_SQL.format(**params)).toPandas()
    item_counts = np.zeros(data.n_items)
    item_counts[items["item"].to_numpy()] = items["n"].to_numpy()
    return CoPurchaseModel.from_rules(
        rules["a"].to_numpy(np.int64), rules["b"].to_numpy(np.int32), rules["count"].to_numpy(np.float64),
        rules["confidence"].to_numpy(np.float64), rules["lift"].to_numpy(np.float64), item_counts,
        float(items["n_baskets"].iloc[0]), **vars(config))


def fit_popularity(spark: SparkSession, data: Dataset, now: float, half_life_days: float | None) -> PopularityModel:
    """Purchases summed per item with ``0.5 ** (age / half_life)``, as ``PopularityModel.fit``."""
    bought = data.event == PURCHASE
    _frame(spark, {"item": data.item[bought], "age": data.age_days(now)[bought]}).createOrReplaceTempView("purchases")
    weight = "1.0D" if half_life_days is None else f"POW(2.0D, -GREATEST(age, 0.0D) / {float(half_life_days)}D)"
    sums = spark.sql(f"SELECT item, SUM({weight}) AS score FROM purchases GROUP BY item").toPandas()
    scores = np.zeros(data.n_items, dtype=np.float32)
    scores[sums["item"].to_numpy()] = sums["score"].to_numpy(np.float64)
    arrays = {"scores": scores, "categories": data.item_category}
    return PopularityModel.from_arrays(arrays, half_life_days=half_life_days)
