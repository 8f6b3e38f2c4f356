"""Read and clean an events file on Spark, with the default engine's rules.

Each partition goes through ``training.events.classify``, the function the default engine runs on
the whole file, so a row is kept, excluded or bad for the same reason on both engines; only
"duplicate line", the one rule that compares rows, is Spark's ``dropDuplicates`` over the same
columns. Rows keep their place in the file (partition, position), which gives the line numbers of
the examples and the events' order.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np
import pandas as pd
from pyspark import StorageLevel, TaskContext
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from training.events import (EVENT_COLUMNS, EXAMPLES_PER_REASON, NULL_TOKENS, TEXT_COLUMNS, DataError, LoadReport,
                             Rule, check_bad_share, classify, event_sources, example_text, file_format,
                             most_frequent_titles, read_columns, show, tally)
from training.presets import CANONICAL, Preset, get_preset

CANONICAL_SCHEMA = ("timestamp timestamp, user_id string, item_id string, event string, quantity double, "
                    "price double, order_id string")
# Per row: its first reason (0: kept), the adjustments made to it (bit i: the i-th of
# ``Parsed.adjusted``), its place in the file, and the blamed cell as an example shows it.
HELPER_SCHEMA = "reason int, adjusted int, part int, position long, shown string"


def load_events(spark: SparkSession, path: str | Path, column_map: Mapping[str, str] | None = None,
                preset: str | None = None, max_bad_share: float = 0.05) -> tuple[pd.DataFrame, LoadReport]:
    """``training.events.load_events`` on Spark: the same table, report and errors."""
    path = Path(path)
    layout = CANONICAL if preset is None else get_preset(preset)
    sources = event_sources(path, layout, column_map)
    # The rules and adjustments depend on the columns and the layout only: named from no rows.
    empty, rules, _ = classify({name: pd.Series([], dtype=object) for name in sources}, sources, layout)
    has_title = "title" in sources
    schema = CANONICAL_SCHEMA + (", title string" if has_title else "") + ", " + HELPER_SCHEMA
    rows = _read(spark, path, list(dict.fromkeys(sources.values()))).mapInPandas(
        partial(_classified, sources=dict(sources), layout=layout, csv=file_format(path) == "csv"), schema)
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _loaded(path, rows, rules, list(empty.adjusted), layout, has_title, max_bad_share)
    finally:
        rows.unpersist()


def _read(spark: SparkSession, path: Path, columns: list[str]) -> DataFrame:
    """The file's ``columns``, every CSV cell as text (the rules parse them); the header comes
    from ``read_columns``, which also refuses a repeated column name as the default engine does."""
    header = read_columns(path)
    if file_format(path) == "parquet":
        return spark.read.parquet(str(path)).select(*columns)
    schema = StructType([StructField(name, StringType()) for name in header])
    frame = spark.read.csv(str(path), schema=schema, header=True, quote='"', escape='"', mode="PERMISSIVE",
                           enforceSchema=True, encoding="UTF-8")
    return frame.select(*columns)


def _classified(batches: Iterator[pd.DataFrame], sources: dict[str, str], layout: Preset,
                csv: bool) -> Iterator[pd.DataFrame]:
    part, position = TaskContext.get().partitionId(), 0
    for batch in batches:
        if csv:
            batch = pd.DataFrame({name: _as_read(batch[name], name in _text_sources(sources)) for name in batch})
        parsed, rules, reason = classify({name: batch[source] for name, source in sources.items()}, sources, layout)
        out = parsed.frame.astype(dict.fromkeys(["user_id", "item_id", "event", "order_id"], object))
        out["reason"] = reason.astype(np.int32)
        out["adjusted"] = sum((mask.astype(np.int32) << bit for bit, mask in enumerate(parsed.adjusted.values())),
                              np.zeros(len(batch), np.int32))
        out["part"] = np.int32(part)
        out["position"] = np.arange(position, position + len(batch), dtype=np.int64)
        out["shown"] = _shown(batch, rules, reason)
        position += len(batch)
        yield out


def _text_sources(sources: Mapping[str, str]) -> set[str]:
    return {sources[name] for name in TEXT_COLUMNS if name in sources}


def _as_read(cells: pd.Series, text: bool) -> pd.Series:
    """A CSV column as pyarrow's reader gives it to the default engine: the null tokens missing,
    and a column of numbers as numbers (its text columns stay text)."""
    cells = cells.astype(object).where(~cells.isin(NULL_TOKENS) & cells.notna(), None)
    if text:
        return cells
    numbers = pd.to_numeric(cells, errors="coerce")
    return numbers if int(numbers.notna().sum()) == int(cells.notna().sum()) else cells


def _shown(batch: pd.DataFrame, rules: list[Rule], reason: np.ndarray) -> pd.Series:
    shown = pd.Series(None, index=batch.index, dtype=object)
    for code, rule in enumerate(rules, start=1):
        rows = np.flatnonzero(reason == code)
        if rule.bad and len(rows):
            shown.iloc[rows] = [show(value) for value in batch[rule.column].iloc[rows]]
    return shown


def _loaded(path: Path, rows: DataFrame, rules: list[Rule], adjustments: list[str], layout: Preset,
            has_title: bool, max_bad_share: float) -> tuple[pd.DataFrame, LoadReport]:
    per_part = rows.groupBy("part", "reason").count().toPandas()
    if per_part.empty:
        raise DataError(f"{path}: no data rows")
    counts = np.bincount(per_part["reason"], weights=per_part["count"], minlength=len(rules) + 1).astype(np.int64)
    sizes = per_part.groupby("part")["count"].sum().sort_index()
    offsets = dict(zip(sizes.index, np.r_[0, np.cumsum(sizes.to_numpy())[:-1]]))
    bad_codes = [code for code, rule in enumerate(rules, start=1) if rule.bad]
    examples = _examples(path, rows, rules, bad_codes, offsets)
    bad, rows_read = tally(rules, counts, bad=True), int(counts.sum())
    check_bad_share(path, bad, rows_read, max_bad_share, lambda: examples[0])
    excluded = tally(rules, counts, bad=False)
    kept = rows.filter(F.col("reason") == 0)
    if layout.drop_duplicates:
        columns = [*EVENT_COLUMNS, *(["title"] if has_title else [])]
        before = counts[0]
        kept = kept.dropDuplicates(columns)
        repeats = before - kept.count()
        if repeats:
            excluded["duplicate line"] = int(repeats)
    frame = kept.drop("reason", "shown").toPandas().sort_values(["part", "position"], kind="stable")
    events = frame[list(EVENT_COLUMNS)].reset_index(drop=True)
    events = events.astype(dict.fromkeys(["user_id", "item_id", "event", "order_id"], "str"))
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True).dt.as_unit("ns")
    adjusted = frame["adjusted"].to_numpy()
    report = LoadReport(
        file=str(path), rows_read=rows_read, rows_kept=len(events), bad=bad, excluded=excluded, examples=examples,
        anonymous=int(events["user_id"].isna().sum()),
        adjusted={name: int(((adjusted >> bit) & 1).sum()) for bit, name in enumerate(adjustments)},
        preset=layout.name,
        titles=most_frequent_titles(frame.reset_index(drop=True)) if has_title else None,
    )
    return events, report


def _examples(path: Path, rows: DataFrame, rules: list[Rule], bad_codes: list[int],
              offsets: dict[int, int]) -> list[str]:
    """The first ``EXAMPLES_PER_REASON`` bad rows of each reason, in file order."""
    if not bad_codes:
        return []
    first = Window.partitionBy("reason").orderBy("part", "position")
    picked = (rows.filter(F.col("reason").isin(bad_codes)).withColumn("rank", F.row_number().over(first))
              .filter(F.col("rank") <= EXAMPLES_PER_REASON).select("part", "position", "reason", "shown").collect())
    lines = sorted((offsets[row.part] + row.position, row.reason, row.shown) for row in picked)
    return [example_text(path, line, rules[reason - 1], shown) for line, reason, shown in lines]
