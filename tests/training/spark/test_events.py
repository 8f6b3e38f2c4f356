"""The Spark engine reads a file as the default engine does: the same rows, report and errors."""
import gzip
from pathlib import Path

import pandas as pd
import pytest

from training.events import DataError, load_events
from training.spark.events import load_events as spark_load_events

ONLINE_RETAIL = Path(__file__).parents[4] / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
HEADER = "timestamp,user_id,item_id,event,quantity,price,order_id"


def events_with_bad_rows(n: int = 6000) -> str:
    """Good rows, and bad ones of four kinds spread over the file."""
    lines = [HEADER]
    for i in range(n):
        stamp, quantity, price = f"2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z", str(1 + i % 3), f"{1 + i % 7}.5"
        stamp = "yesterday" if i % 997 == 5 else "" if i % 2100 == 3 else stamp
        quantity = "lots" if i % 1301 == 7 else quantity
        price = "-2" if i % 1700 == 9 else price
        event = "purchase" if i % 4 == 0 else "view"
        order = f"o{i // 3}" if event == "purchase" else ""
        lines.append(f"{stamp},u{i % 300},p{i % 50},{event},{quantity},{price},{order}")
    return "\n".join(lines) + "\n"


def assert_same_load(path: Path, spark, **options) -> None:
    expected, expected_report = load_events(path, **options)
    got, got_report = spark_load_events(spark, path, **options)
    assert got_report.to_dict() == expected_report.to_dict()
    pd.testing.assert_frame_equal(got, expected)
    if expected_report.titles is not None:
        pd.testing.assert_series_equal(got_report.titles, expected_report.titles)


def test_bad_rows_are_reported_the_same_way(spark, small_partitions, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(events_with_bad_rows())
    _, report = load_events(path)
    assert report.bad == {"missing timestamp": 3, "unparseable timestamp": 7, "non-numeric quantity": 5,
                          "negative price": 4}
    assert report.examples[0] == f"{path}:5: timestamp: missing timestamp (empty)"
    assert spark.read.csv(str(path)).rdd.getNumPartitions() > 5  # the rows come from several partitions
    assert_same_load(path, spark)


def test_too_many_bad_rows_fail_with_the_same_line(spark, small_partitions, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(events_with_bad_rows())
    with pytest.raises(DataError) as expected:
        load_events(path, max_bad_share=0.001)
    with pytest.raises(DataError) as got:
        spark_load_events(spark, path, max_bad_share=0.001)
    assert str(got.value) == str(expected.value)
    assert "19 of 6,000 rows are bad" in str(got.value)


@pytest.mark.skipif(not ONLINE_RETAIL.exists(), reason="shared store data not present")
def test_online_retail_rules_exclude_the_same_rows(spark, tmp_path):
    """Cancellations, fees, zero prices, upper-cased codes, repeated lines and titles."""
    with gzip.open(ONLINE_RETAIL, "rt", encoding="utf-8") as file:
        sample = [next(file) for _ in range(40_001)]
    path = tmp_path / "retail.csv"
    path.write_text("".join(sample))
    _, report = load_events(path, preset="online-retail")
    assert set(report.excluded) >= {"cancelled order", "non-product code", "duplicate line"}
    assert_same_load(path, spark, preset="online-retail")


def test_parquet_with_epoch_milliseconds(spark, tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame({"ts": [1709287200000 + 60_000 * i for i in range(50)],
                  "session": [f"s{i % 7}" for i in range(50)], "aid": [i % 11 for i in range(50)],
                  "type": ["clicks", "carts", "orders", "unknown-type", "clicks"] * 10}).to_parquet(path)
    assert_same_load(path, spark, preset="otto", max_bad_share=0.5)
