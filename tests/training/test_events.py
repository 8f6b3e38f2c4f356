"""Reading event files into the canonical table: formats, timestamps, aliases, bad rows, presets."""
import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.events import DataError, load_events, parse_column_map
from training.presets import PRESETS, get_preset

# shared/ lies beside the checkout (developers' machines and CI alike).
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ONLINE_RETAIL = DATA / "online_retail" / "online_retail.csv.gz"
OTTO = DATA / "otto_sample" / "otto_sample_events.csv.gz"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared store data not present")

GOOD = """timestamp,user_id,item_id,event,quantity,price,order_id
2024-03-01T10:00:00Z,u1,i1,view,,,
2024-03-01T10:05:00Z,u1,i2,cart,1,9.5,
2024-03-01T10:10:00Z,u1,i2,purchase,2,9.5,o1
2024-03-01T10:10:00Z,,i3,purchase,1,4.0,o1
2024-03-02T08:00:00Z,007,i1,view,,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_canonical_columns_and_dtypes(tmp_path):
    events, report = load_events(write(tmp_path / "events.csv", GOOD))
    assert list(events.columns) == ["timestamp", "user_id", "item_id", "event", "quantity", "price", "order_id"]
    assert str(events["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert all(pd.api.types.is_string_dtype(events[name]) for name in ["user_id", "item_id", "event", "order_id"])
    assert events["quantity"].tolist() == [1.0, 1.0, 2.0, 1.0, 1.0]
    assert events["price"].isna().tolist() == [True, False, False, False, True]
    assert events["user_id"].tolist()[-1] == "007"
    assert (report.rows_read, report.rows_kept, report.anonymous, report.bad) == (5, 5, 1, {})


def test_csv_gzip_and_parquet_give_identical_frames(tmp_path):
    csv = write(tmp_path / "events.csv", GOOD)
    with gzip.open(tmp_path / "events.csv.gz", "wt") as file:
        file.write(GOOD)
    pd.read_csv(csv, dtype=str).to_parquet(tmp_path / "events.parquet")
    pd.read_csv(csv, dtype=str).to_parquet(tmp_path / "events.pq")
    frames = [load_events(tmp_path / name)[0] for name in ["events.csv", "events.csv.gz", "events.parquet", "events.pq"]]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])


@pytest.mark.parametrize(
    "stamps",
    [
        ["2024-03-01T10:00:00Z", "2024-03-01 11:00:00+01:00"],
        ["2024-03-01 10:00:00", "2024-03-01T10:00:00.000"],
        ["1709287200", "1709287200"],
        ["1709287200000", "1709287200000"],
        ["1709287200.0", "1709287200"],
    ],
    ids=["iso-offsets", "iso-naive", "epoch-s", "epoch-ms", "epoch-float"],
)
def test_timestamp_forms(tmp_path, stamps):
    rows = "".join(f"{stamp},u,i,view\n" for stamp in stamps)
    events, _ = load_events(write(tmp_path / "events.csv", "timestamp,user_id,item_id,event\n" + rows))
    assert (events["timestamp"] == pd.Timestamp("2024-03-01T10:00:00Z")).all()


def test_timestamps_from_parquet_datetimes_and_integers(tmp_path):
    moment = pd.Timestamp("2024-03-01T10:00:00Z")
    frame = pd.DataFrame(
        {"timestamp": [moment], "ms": [int(moment.timestamp() * 1000)], "user_id": [1], "item_id": [2], "event": ["view"]}
    )
    frame.to_parquet(tmp_path / "events.parquet")
    by_datetime, _ = load_events(tmp_path / "events.parquet")
    by_epoch, _ = load_events(tmp_path / "events.parquet", {"timestamp": "ms"})
    assert by_datetime["timestamp"].tolist() == by_epoch["timestamp"].tolist() == [moment]
    assert by_datetime[["user_id", "item_id"]].values.tolist() == [["1", "2"]]


@pytest.mark.parametrize(
    ("raw", "event"),
    [
        ("view", "view"), ("Click", "view"), ("clicks", "view"), ("page view", "view"),
        ("cart", "cart"), ("addtocart", "cart"), ("add_to_cart", "cart"), ("Add-To-Cart", "cart"), ("carts", "cart"),
        ("purchase", "purchase"), ("transaction", "purchase"), ("order", "purchase"), ("orders", "purchase"),
        ("BUY", "purchase"), ("purchased", "purchase"),
    ],
)
def test_event_aliases(tmp_path, raw, event):
    events, _ = load_events(write(tmp_path / "events.csv", f"timestamp,user_id,item_id,event\n1709287200,u,i, {raw} \n"))
    assert events["event"].tolist() == [event]


BAD = """timestamp,user_id,item_id,event,quantity,price,order_id
2024-03-01T10:00:00Z,u1,i1,view,1,1.0,
yesterday,u1,i1,view,1,1.0,
,u1,i1,view,1,1.0,
2024-03-01T10:00:00Z,u1,,view,1,1.0,
2024-03-01T10:00:00Z,,i1,view,1,1.0,
2024-03-01T10:00:00Z,u1,i1,wishlist,1,1.0,
2024-03-01T10:00:00Z,u1,i1,,1,1.0,
2024-03-01T10:00:00Z,u1,i1,purchase,two,1.0,o1
2024-03-01T10:00:00Z,u1,i1,purchase,1,free,o1
2024-03-01T10:00:00Z,u1,i1,purchase,1,-3.5,o1
2024-03-01T10:00:00Z,,i1,purchase,1,2.0,o2
2024-03-01T10:00:00Z,u1,i1,purchase,-1,2.0,o3
"""


def test_each_bad_row_reason_is_counted_with_its_line(tmp_path):
    path = write(tmp_path / "events.csv", BAD)
    events, report = load_events(path, max_bad_share=1.0)
    assert report.bad == {
        "unparseable timestamp": 1, "missing timestamp": 1, "missing item_id": 1, "missing user_id": 1,
        "unknown event": 1, "missing event": 1, "non-numeric quantity": 1, "non-numeric price": 1,
        "negative price": 1,
    }
    assert report.excluded == {"quantity <= 0": 1}
    assert report.examples == [
        f"{path}:3: timestamp: unparseable timestamp ('yesterday')",
        f"{path}:4: timestamp: missing timestamp (empty)",
        f"{path}:5: item_id: missing item_id (empty)",
        f"{path}:6: user_id: missing user_id (empty)",
        f"{path}:7: event: unknown event ('wishlist')",
        f"{path}:8: event: missing event (empty)",
        f"{path}:9: quantity: non-numeric quantity ('two')",
        f"{path}:10: price: non-numeric price ('free')",
        f"{path}:11: price: negative price ('-3.5')",
    ]
    assert (report.rows_read, report.rows_kept, report.anonymous) == (13 - 1, 2, 1)
    assert events["order_id"].tolist()[1] == "o2"


def test_examples_name_the_mapped_column_and_parquet_rows(tmp_path):
    frame = pd.DataFrame({"when": ["2024-03-01", "never"], "who": ["u", "u"], "what": ["i", "i"], "kind": ["view", "view"]})
    frame.to_parquet(tmp_path / "events.parquet")
    mapping = {"timestamp": "when", "user_id": "who", "item_id": "what", "event": "kind"}
    _, report = load_events(tmp_path / "events.parquet", mapping, max_bad_share=1.0)
    assert report.examples == [f"{tmp_path / 'events.parquet'}:2: when: unparseable timestamp ('never')"]


def test_too_many_bad_rows_fail_with_one_line(tmp_path):
    path = write(tmp_path / "events.csv", BAD)
    with pytest.raises(DataError) as failure:
        load_events(path)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: 9 of 12 rows are bad (75.0%, limit 5.0%)")
    assert message.endswith(f"first: {path}:3: timestamp: unparseable timestamp ('yesterday')")


def test_bad_rows_under_the_limit_are_reported_not_fatal(tmp_path):
    good = "".join(f"2024-03-01T10:00:00Z,u{n},i{n},view\n" for n in range(99))
    path = write(tmp_path / "events.csv", "timestamp,user_id,item_id,event\n" + good + "2024-03-01T10:00:00Z,u,i,like\n")
    events, report = load_events(path)
    assert (len(events), report.bad) == (99, {"unknown event": 1})
    assert report.examples == [f"{path}:101: event: unknown event ('like')"]
    json.dumps(report.to_dict())
    assert "\n" not in report.summary() and "unknown event 1" in report.summary()


def test_missing_column_is_one_line_naming_file_and_columns_found(tmp_path):
    path = write(tmp_path / "events.csv", "timestamp,user,item_id,event\n1709287200,u,i,view\n")
    expected = r"events\.csv: missing column 'user_id'; columns found: timestamp, user, item_id, event"
    with pytest.raises(DataError, match=expected) as failure:
        load_events(path)
    assert "\n" not in str(failure.value)
    with pytest.raises(DataError, match=r"missing column 'CustomerID' \(for user_id\)"):
        load_events(path, {"user_id": "CustomerID"})


def test_unsupported_suffix_and_empty_file(tmp_path):
    with pytest.raises(DataError, match="unsupported file type"):
        load_events(write(tmp_path / "events.json", "{}"))
    with pytest.raises(DataError, match="no data rows"):
        load_events(write(tmp_path / "events.csv", "timestamp,user_id,item_id,event\n"))


def test_parse_column_map():
    assert parse_column_map("user_id=CustomerID, item_id = StockCode") == {"user_id": "CustomerID", "item_id": "StockCode"}
    with pytest.raises(ValueError, match="unknown column name 'customer'.*expected one of: timestamp, user_id"):
        parse_column_map("customer=CustomerID")
    with pytest.raises(ValueError, match="bad column mapping 'user_id'"):
        parse_column_map("user_id")
    with pytest.raises(ValueError, match="mapped twice"):
        parse_column_map("user_id=a,user_id=b")


def test_unknown_preset_lists_the_available_ones():
    assert set(PRESETS) >= {"online-retail", "otto"}
    with pytest.raises(ValueError, match="unknown preset 'retail'; available presets: online-retail, otto"):
        get_preset("retail")


@pytest.fixture(scope="module")
def online_retail_sample(tmp_path_factory):
    """The first 20,000 rows of the UCI Online Retail file, gzipped like the original."""
    path = tmp_path_factory.mktemp("retail") / "online_retail.csv.gz"
    with gzip.open(ONLINE_RETAIL, "rt") as source, gzip.open(path, "wt") as target:
        target.writelines(itertools.islice(source, 20_001))
    return path


@needs_data
def test_online_retail_preset(online_retail_sample):
    raw = pd.read_csv(online_retail_sample, dtype=str, keep_default_na=False)
    events, report = load_events(online_retail_sample, preset="online-retail")
    assert report.rows_read == len(raw) == 20_000
    cancellations = int(raw["InvoiceNo"].str.startswith("C").sum())
    assert cancellations > 0 and report.excluded["cancelled order"] == cancellations
    assert not events["order_id"].str.startswith("C").any()
    assert (events["quantity"] > 0).all() and (events["price"] > 0).all()
    assert set(events["event"]) == {"purchase"}
    assert "17850" in set(events["user_id"]) and not events["user_id"].str.endswith(".0", na=False).any()
    anonymous = events["user_id"].isna()
    assert report.anonymous == int(anonymous.sum()) > 0 and events.loc[anonymous, "order_id"].notna().all()
    assert not events["item_id"].isin(["POST", "D", "M", "DOT", "C2", "BANK CHARGES"]).any()
    assert report.excluded["non-product code"] > 0 and report.excluded["duplicate line"] > 0
    assert sum(report.excluded.values()) + report.rows_kept == report.rows_read and report.bad == {}
    assert report.titles["85123A"] == "WHITE HANGING HEART T-LIGHT HOLDER"


@needs_data
def test_otto_by_preset_and_by_column_map(tmp_path):
    by_preset, report = load_events(OTTO, preset="otto")
    by_map, _ = load_events(OTTO, parse_column_map("user_id=session,item_id=aid,timestamp=ts,event=type"))
    pd.testing.assert_frame_equal(by_preset, by_map)
    assert report.rows_kept == 862 and report.bad == {}
    assert by_preset["event"].value_counts().to_dict() == {"view": 800, "cart": 52, "purchase": 10}
    assert by_preset["timestamp"].iloc[0] == pd.Timestamp("2022-07-31T22:00:00.025Z")
    assert by_preset["user_id"].iloc[0] == "0" and by_preset["order_id"].isna().all()
    assert np.allclose(by_preset["quantity"], 1.0)


def many_views(n: int) -> list[str]:
    return [f"2025-09-03T00:00:{i % 60:02d}Z,u{i:05d},p{i % 500:05d},view,1.0,19.99," for i in range(n)]


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_stray_quote_fails_naming_its_line_instead_of_truncating(tmp_path, gzipped):
    lines = ["timestamp,user_id,item_id,event,quantity,price,order_id", *many_views(30_000)]
    lines[10_105] = '2025-09-03T00:00:16Z,"u02630,p00319,view,1.0,19.99,'
    text = "\n".join(lines) + "\n"
    path = tmp_path / ("events.csv.gz" if gzipped else "events.csv")
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    with pytest.raises(DataError) as error:
        load_events(path)
    message = str(error.value)
    assert message.startswith(f"{path}:10106: unclosed quote") and "\n" not in message


def test_empty_lines_and_crlf_endings_are_not_mistaken_for_lost_rows(tmp_path):
    lines = ["timestamp,user_id,item_id,event,quantity,price,order_id", *many_views(50)]
    text = "\r\n".join(lines[:20]) + "\r\n\r\n\r\n" + "\r\n".join(lines[20:])  # no newline at the end
    events, _ = load_events(write(tmp_path / "events.csv", text))
    assert len(events) == 50


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    text = "timestamp,user_id,item_id,event,user_id\n2024-03-01T10:00:00Z,u1,i1,view,u2\n"
    with pytest.raises(DataError, match=r"events.csv:1: column 'user_id' appears more than once"):
        load_events(write(tmp_path / "events.csv", text))


def test_an_infinite_quantity_or_price_is_a_bad_row(tmp_path):
    text = GOOD + "2024-03-02T09:00:00Z,u2,i1,purchase,inf,4.0,o9\n2024-03-02T09:00:00Z,u2,i2,purchase,1,-inf,o9\n"
    events, report = load_events(write(tmp_path / "events.csv", text), max_bad_share=0.5)
    assert len(events) == 5 and np.isfinite(events["quantity"]).all()
    assert report.bad == {"non-numeric quantity": 1, "non-numeric price": 1}
