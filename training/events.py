"""Read an events file (CSV, gzipped CSV, Parquet) into the canonical event table.

Every row read is kept, excluded by a deliberate rule (returns, fees, repeats) or bad (unreadable).
Excluded and bad rows are counted per reason in a ``LoadReport``, never dropped silently; too many
bad rows fail the load with a one-line ``DataError``. Everything is vectorized: the files are large.
"""
from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from training.presets import CANONICAL, Preset, get_preset

EVENT_COLUMNS = ("timestamp", "user_id", "item_id", "event", "quantity", "price", "order_id")
MAPPABLE_COLUMNS = (*EVENT_COLUMNS, "title")
REQUIRED_COLUMNS = ("timestamp", "user_id", "item_id", "event")
TEXT_COLUMNS = ("user_id", "item_id", "event", "order_id", "title")
NULL_TOKENS = ["", "NaN", "nan", "NULL", "null", "None"]
EXAMPLES_PER_REASON = 3
UNREADABLE_REASONS = {
    "timestamp": "unparseable timestamp",
    "event": "unknown event",
    "quantity": "non-numeric quantity",  # inf and -inf included
    "price": "non-numeric price",
}
# (magnitude limit, nanoseconds per unit): epoch numbers below 1e11 are seconds (1e11 s is the
# year 5138), below 1e14 milliseconds, below 1e17 microseconds, above that nanoseconds.
EPOCH_UNITS = ((1e11, 10**9), (1e14, 10**6), (1e17, 10**3), (np.inf, 1))
LATEST_NANOSECOND = 9.2e18  # just inside the int64 range of datetime64[ns] (the year 2262)

_ALIASES = {
    "view": "view views viewed click clicks clicked pageview page_view detail product_view",
    "cart": "cart carts carted addtocart add_to_cart added_to_cart basket addtobasket add_to_basket",
    "purchase": "purchase purchases purchased buy buys bought transaction transactions order "
    "orders ordered sale",
}
EVENT_ALIASES = {alias: name for name, words in _ALIASES.items() for alias in words.split()}


class DataError(ValueError):
    """An input file cannot be used as given; the message is one line that names the file."""


@dataclass
class LoadReport:
    """What happened to the rows of one events file.

    ``bad`` counts unreadable rows and ``excluded`` rows left out on purpose, per reason; each row
    counts once, under the first reason that applies. ``adjusted`` counts kept rows a rule changed.
    ``titles`` (item id -> most frequent title) feeds ``derive_catalog`` and is not part of the
    manifest.
    """

    file: str
    rows_read: int
    rows_kept: int
    bad: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    anonymous: int = 0
    adjusted: dict[str, int] = field(default_factory=dict)
    preset: str = CANONICAL.name
    titles: pd.Series | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data for a training manifest."""
        return {f.name: _copy(getattr(self, f.name)) for f in fields(self) if f.name != "titles"}

    def summary(self) -> str:
        """One line: rows read, kept, anonymous, excluded and bad per reason."""
        return (
            f"{self.file}: {self.rows_read:,} rows read, {self.rows_kept:,} kept "
            f"({self.anonymous:,} anonymous); excluded: {_counts(self.excluded)}; "
            f"bad: {_counts(self.bad)}"
        )


@dataclass(frozen=True)
class Rule:
    """A reason to leave rows out: ``mask`` marks them, ``column`` is the file column to blame."""

    reason: str
    bad: bool
    column: str
    mask: np.ndarray


@dataclass
class Parsed:
    """All rows in canonical columns (ids still as strings), plus per-row facts the rules need.

    ``unreadable`` maps a canonical column to its cells that hold a value that cannot be read;
    ``adjusted`` maps a change made by the layout to the rows it changed.
    """

    frame: pd.DataFrame
    unreadable: dict[str, np.ndarray]
    adjusted: dict[str, np.ndarray]


def load_events(
    path: str | Path,
    column_map: Mapping[str, str] | None = None,
    preset: str | None = None,
    max_bad_share: float = 0.05,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``path`` into the canonical event table (docs/architecture.md) and its report.

    ``column_map`` maps canonical names to file columns and overrides the preset's map. Raises
    ``DataError`` for a missing column or when bad rows exceed ``max_bad_share`` of the rows read.
    """
    path = Path(path)
    layout = CANONICAL if preset is None else get_preset(preset)
    sources = event_sources(path, layout, column_map)
    text = [sources[name] for name in TEXT_COLUMNS if name in sources]
    table = read_table(path, list(dict.fromkeys(sources.values())), text)
    if table.empty:
        raise DataError(f"{path}: no data rows")
    parsed, rules, reason = classify({name: table[source] for name, source in sources.items()}, sources, layout)
    _check_bad_share(path, table, rules, reason, max_bad_share)
    if layout.drop_duplicates:
        rules.append(_duplicates(parsed.frame, reason, len(rules) + 1))
    return _result(path, table, parsed, rules, reason, layout)


def parse_column_map(text: str, allowed: Sequence[str] = MAPPABLE_COLUMNS) -> dict[str, str]:
    """Parse ``user_id=CustomerID,item_id=StockCode`` (canonical name = file column)."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, sep, source = (part.strip() for part in pair.partition("="))
        if not (sep and name and source):
            raise ValueError(f"bad column mapping {pair!r}: write name=column, e.g. user_id=CustomerID")
        if name in mapping:
            raise ValueError(f"column {name!r} is mapped twice in {text!r}")
        mapping[name] = source
    return check_column_map(mapping, allowed)


def check_column_map(mapping: Mapping[str, str], allowed: Sequence[str]) -> dict[str, str]:
    """``mapping`` as a dict, or ``ValueError`` naming the keys that are not canonical names."""
    unknown = [name for name in mapping if name not in allowed]
    if unknown:
        raise ValueError(
            f"unknown column name {', '.join(map(repr, unknown))} in column map; "
            f"expected one of: {', '.join(allowed)}"
        )
    return dict(mapping)


def file_format(path: Path) -> str:
    """``csv`` or ``parquet``, decided by the file name's suffix."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    raise DataError(f"{path}: unsupported file type; expected .csv, .csv.gz, .parquet or .pq")


def read_columns(path: Path) -> list[str]:
    """The column names of a file, read from its header or schema only."""
    kind = file_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if kind == "parquet":
            return [name for name in pq.read_schema(path).names if not name.startswith("__")]
        with _open_bytes(path) as file:
            header = next(csv.reader([file.readline().decode("utf-8-sig")]), [])
    except (ValueError, OSError, csv.Error) as error:
        raise DataError(f"{path}: cannot read the header: {_first_line(error)}") from None
    check_header(path, header)
    return header


def check_header(path: Path, header: Sequence[str]) -> None:
    """A header that names a column twice is refused: the reader would keep one of them silently."""
    repeated = sorted({name for name in header if list(header).count(name) > 1})
    if repeated:
        raise DataError(f"{path}:1: column {repeated[0]!r} appears more than once in the header")


def read_table(path: Path, columns: Sequence[str] | None, text: Sequence[str]) -> pd.DataFrame:
    """Read ``columns`` (all when None); ``text`` columns come as strings, never as numbers.

    CSV goes through pyarrow's multithreaded reader, which also infers numbers and ISO 8601 times.
    """
    try:
        if file_format(path) == "parquet":
            return pd.read_parquet(path, columns=None if columns is None else list(columns))
        options = pa_csv.ConvertOptions(
            include_columns=list(columns or []),
            column_types=dict.fromkeys(text, pa.string()),
            null_values=NULL_TOKENS,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        table = pa_csv.read_csv(path, convert_options=options)
    except (ValueError, OSError) as error:
        _, unbalanced = _scan_lines(path) if isinstance(error, pa.ArrowInvalid) else (0, None)
        if unbalanced:
            raise DataError(f"{path}:{unbalanced}: unclosed quote ({_first_line(error)})") from None
        raise DataError(f"{path}: cannot read: {_first_line(error)}") from None
    check_every_line_read(path, table.num_rows, table.column_names)
    return table.to_pandas(types_mapper=_pandas_type)


def check_every_line_read(path: Path, rows: int, header: Sequence[str]) -> None:
    """Refuse a CSV file whose rows are not its lines: an unclosed quote makes the reader merge the
    lines that follow into one value, or drop them, without an error of its own."""
    check_header(path, header)
    if rows == _quick_line_count(path) - 1:
        return
    lines, unbalanced = _scan_lines(path)
    if rows == lines - 1:
        return
    where = f"{path}:{unbalanced}" if unbalanced else str(path)
    raise DataError(f"{where}: unclosed quote: the reader found {rows:,} rows in {lines - 1:,} lines; quote the "
                    "whole value or remove the stray quote (values spanning lines are not supported)")


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _quick_line_count(path: Path) -> int:
    """Non-empty lines, counted fast; exact unless empty lines follow each other or end in CR LF."""
    count, empty, last = 0, 0, b"\n"
    with _open_bytes(path) as file:
        while chunk := file.read(1 << 24):
            joined = last + chunk
            count, empty, last = count + chunk.count(b"\n"), empty + joined.count(b"\n\n"), chunk[-1:]
    return count - empty + (last != b"\n")


def _scan_lines(path: Path) -> tuple[int, int | None]:
    """The exact count of non-empty lines, and the number of the first line holding an odd number
    of double quotes (``None`` if none does)."""
    lines, unbalanced = 0, None
    with _open_bytes(path) as file:
        for number, line in enumerate(file, start=1):
            lines += bool(line.strip(b"\r\n"))
            if unbalanced is None and line.count(b'"') % 2:
                unbalanced = number
    return lines, unbalanced


def locate(path: Path, row: int) -> str:
    """``file:line`` of a 0-based data row: CSV lines count the header as 1, Parquet rows from 1."""
    return f"{path}:{row + (2 if file_format(path) == 'csv' else 1)}"


def show(value: object) -> str:
    """A cell as it appears in error messages: quoted text, a number, or ``empty``; at most 40 chars."""
    shown = "empty" if pd.isna(value) else repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def as_text(values: pd.Series) -> pd.Series:
    """Strings without surrounding blanks; empty cells are missing."""
    text = values.astype("str").str.strip()
    return text.mask(text == "")


def as_ids(values: pd.Series) -> pd.Series:
    """Ids as text; ids written as floats (``17850.0``) come out as integers (``17850``)."""
    if pd.api.types.is_float_dtype(values) and _whole(values.to_numpy()):
        values = values.astype("Int64")
    ids = as_text(values)
    if ids.str.contains(".", regex=False).any():
        ids = ids.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return ids


def parse_numbers(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Floats (NaN where missing) and the mask of cells that hold something other than a finite
    number (``inf`` parses as a number, but no quantity or price is infinite)."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
    else:
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    numbers = numbers.where(np.isfinite(numbers.to_numpy()) | numbers.isna())
    return numbers, values.notna().to_numpy() & numbers.isna().to_numpy()


def parse_timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps from datetimes, ISO 8601 text or epoch numbers; NaT where unreadable.

    Naive times are taken as UTC. Epoch numbers are seconds, milliseconds, microseconds or
    nanoseconds, told apart by the magnitude of the column (``EPOCH_UNITS``).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        stamps = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values):
        stamps = values.dt.tz_localize("UTC")
    elif pd.api.types.is_numeric_dtype(values):
        stamps = _from_epoch(values)
    elif _mostly_numbers(values):
        stamps = _from_epoch(pd.to_numeric(values, errors="coerce"))
    else:
        stamps = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    try:
        return stamps.dt.as_unit("ns")
    except pd.errors.OutOfBoundsDatetime:
        lowest, highest = (pd.Timestamp(bound, tz="UTC") for bound in (pd.Timestamp.min, pd.Timestamp.max))
        return stamps.where((stamps >= lowest) & (stamps <= highest)).dt.as_unit("ns")


def parse_events(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Canonical event names (NaN where unknown or missing) and the mask of unknown ones.

    Aliases are looked up once per distinct value, so the cost stays that of one factorize.
    """
    codes, uniques = pd.factorize(values)
    known = [EVENT_ALIASES.get(_alias_key(value)) for value in uniques]
    names = np.array([np.nan if name is None else name for name in known] + [np.nan], object)
    unknown = np.array([name is None for name in known] + [False])[codes]
    return pd.Series(names[codes], index=values.index, dtype=object), unknown


def event_sources(path: Path, layout: Preset, column_map: Mapping[str, str] | None) -> dict[str, str]:
    """Canonical name -> file column for every column the file has; a needed one missing fails."""
    requested = {**layout.column_map, **check_column_map(column_map or {}, MAPPABLE_COLUMNS)}
    found = read_columns(path)
    needed = [name for name in REQUIRED_COLUMNS if not (name == "event" and layout.event)]
    sources = {}
    for name in MAPPABLE_COLUMNS:
        source = requested.get(name, name)
        if source in found:
            sources[name] = source
        elif name in requested or name in needed:
            error = missing_column(path, name, source, found)
            raise DataError(f"{error}; map another one with --map {name}=<column>")
    return sources


def missing_column(path: Path, name: str, source: str, found: Sequence[str]) -> DataError:
    """The one-line error for a column the file lacks."""
    wanted = repr(name) if name == source else f"{source!r} (for {name})"
    return DataError(f"{path}: missing column {wanted}; columns found: {', '.join(found)}")


def classify(raw: dict[str, pd.Series], sources: Mapping[str, str], layout: Preset) -> tuple[Parsed, list[Rule], np.ndarray]:
    """The cleaning rules, on rows alone: ``raw`` holds each canonical column's cells (from
    ``sources``); returns the parsed rows, the rules in order and each row's first reason (0: kept).

    Every rule but "duplicate line" looks at one row, so a slice of a file is classified as the
    whole file would classify it: the Spark engine runs this on each partition."""
    parsed = _canonical(raw, layout)
    rules = _rules(parsed, raw, sources, layout)
    return parsed, rules, _first_reason(rules, len(parsed.frame))


def _canonical(raw: dict[str, pd.Series], layout: Preset) -> Parsed:
    n = len(raw["item_id"])
    items = as_ids(raw["item_id"])
    adjusted = {}
    if layout.upper_case_items:
        upper = items.str.upper()
        adjusted["item_id upper-cased"] = (upper != items).to_numpy()
        items = upper
    stamps = parse_timestamps(raw["timestamp"])
    parsed = {name: parse_numbers(raw[name]) for name in ("quantity", "price") if name in raw}
    if "event" in raw:
        parsed["event"] = parse_events(raw["event"])
    unreadable = {name: bad for name, (_, bad) in parsed.items()}
    unreadable["timestamp"] = stamps.isna().to_numpy() & raw["timestamp"].notna().to_numpy()
    absent = np.full(n, np.nan, dtype=object)
    frame = pd.DataFrame(
        {
            "timestamp": stamps,
            "user_id": as_ids(raw["user_id"]),
            "item_id": items,
            "event": parsed["event"][0] if "event" in parsed else layout.event,
            "quantity": parsed["quantity"][0].fillna(1.0) if "quantity" in parsed else 1.0,
            "price": parsed["price"][0] if "price" in parsed else np.nan,
            "order_id": as_ids(raw["order_id"]) if "order_id" in raw else absent,
        }
    )
    if "title" in raw:
        frame["title"] = as_text(raw["title"])
    return Parsed(frame, unreadable, adjusted)


def _rules(
    parsed: Parsed, raw: dict[str, pd.Series], sources: dict[str, str], layout: Preset
) -> list[Rule]:
    """Exclusions of the layout first, then the bad-row checks, in the order they are applied."""
    frame = parsed.frame
    unreadable = parsed.unreadable
    anonymous_without_order = frame["user_id"].isna() & frame["order_id"].isna()
    checks = [
        ("missing timestamp", "timestamp", raw["timestamp"].isna().to_numpy()),
        ("unparseable timestamp", "timestamp", unreadable["timestamp"]),
        ("missing item_id", "item_id", frame["item_id"].isna().to_numpy()),
        ("missing user_id", "user_id", anonymous_without_order.to_numpy()),
    ]
    if "event" in raw:
        checks.append(("missing event", "event", raw["event"].isna().to_numpy()))
    checks += [
        (reason, name, unreadable[name])
        for name, reason in UNREADABLE_REASONS.items()
        if name in unreadable and name != "timestamp"
    ]
    if "price" in raw:
        checks.append(("negative price", "price", (frame["price"] < 0).to_numpy()))
    bad = [Rule(reason, True, sources[name], mask) for reason, name, mask in checks]
    return _exclusions(frame, sources, layout) + bad


def _exclusions(frame: pd.DataFrame, sources: dict[str, str], layout: Preset) -> list[Rule]:
    """The deliberate exclusions: returns, non-products and, for some layouts, free lines."""
    rules = []
    if layout.cancel_prefix and "order_id" in sources:
        cancelled = frame["order_id"].str.startswith(layout.cancel_prefix).fillna(False)
        rules.append(Rule("cancelled order", False, sources["order_id"], cancelled.to_numpy(bool)))
    if "quantity" in sources:
        returned = (frame["quantity"] <= 0).to_numpy()
        rules.append(Rule("quantity <= 0", False, sources["quantity"], returned))
    if layout.non_product:
        fees = frame["item_id"].str.fullmatch(layout.non_product, case=False).fillna(False)
        rules.append(Rule("non-product code", False, sources["item_id"], fees.to_numpy(bool)))
    if layout.drop_zero_price and "price" in sources:
        free = (frame["price"] == 0).to_numpy()
        rules.append(Rule("zero price", False, sources["price"], free))
    return rules


def _first_reason(rules: list[Rule], n: int) -> np.ndarray:
    """Per row, 0 when kept, else 1 + the index of the first rule that marks it."""
    reason = np.zeros(n, dtype=np.int8)
    for code, rule in enumerate(rules, start=1):
        reason[(reason == 0) & rule.mask] = code
    return reason


def _duplicates(frame: pd.DataFrame, reason: np.ndarray, code: int) -> Rule:
    """Marks (in ``reason``) every kept row that repeats an earlier kept row exactly."""
    kept = np.flatnonzero(reason == 0)
    repeats = kept[frame.iloc[kept].duplicated().to_numpy()]
    reason[repeats] = code
    mask = np.zeros(len(frame), dtype=bool)
    mask[repeats] = True
    return Rule("duplicate line", False, "(all columns)", mask)


def _check_bad_share(
    path: Path, table: pd.DataFrame, rules: list[Rule], reason: np.ndarray, limit: float
) -> None:
    bad = _tally(rules, reason, bad=True)
    check_bad_share(path, bad, len(reason), limit,
                    lambda: _example(path, table, rules, reason, int(np.flatnonzero(is_bad(rules, reason))[0])))


def is_bad(rules: list[Rule], reason: np.ndarray) -> np.ndarray:
    """Rows whose first reason is a bad-row rule (not a deliberate exclusion)."""
    return np.isin(reason, [code for code, rule in enumerate(rules, start=1) if rule.bad])


def check_bad_share(path: Path, bad: Mapping[str, int], rows: int, limit: float, first: Callable[[], str]) -> None:
    """``DataError`` when the ``bad`` rows (per reason) exceed ``limit`` of ``rows``; ``first``
    gives the first bad row's example, read only then."""
    count = sum(bad.values())
    if count > limit * rows:
        raise DataError(
            f"{path}: {count:,} of {rows:,} rows are bad ({count / rows:.1%}, "
            f"limit {limit:.1%}): {_counts(bad)}; first: {first()}"
        )


def _result(
    path: Path,
    table: pd.DataFrame,
    parsed: Parsed,
    rules: list[Rule],
    reason: np.ndarray,
    layout: Preset,
) -> tuple[pd.DataFrame, LoadReport]:
    keep = reason == 0
    kept = parsed.frame if keep.all() else parsed.frame[keep].reset_index(drop=True)
    text = dict.fromkeys(["user_id", "item_id", "event", "order_id"], "str")
    events = kept[list(EVENT_COLUMNS)].astype(text)
    report = LoadReport(
        file=str(path),
        rows_read=len(table),
        rows_kept=len(events),
        bad=_tally(rules, reason, bad=True),
        excluded=_tally(rules, reason, bad=False),
        examples=_examples(path, table, rules, reason),
        anonymous=int(kept["user_id"].isna().sum()),
        adjusted={name: int((mask & keep).sum()) for name, mask in parsed.adjusted.items()},
        preset=layout.name,
        titles=most_frequent_titles(kept) if "title" in kept else None,
    )
    return events, report


def _tally(rules: list[Rule], reason: np.ndarray, bad: bool) -> dict[str, int]:
    return tally(rules, np.bincount(reason, minlength=len(rules) + 1), bad)


def tally(rules: list[Rule], counts: np.ndarray, bad: bool) -> dict[str, int]:
    """Rows per reason, in rule order, from ``counts`` (rows per reason code, 0: kept)."""
    return {
        rule.reason: int(counts[code])
        for code, rule in enumerate(rules, start=1)
        if rule.bad == bad and counts[code]
    }


def _examples(path: Path, table: pd.DataFrame, rules: list[Rule], reason: np.ndarray) -> list[str]:
    """The first few bad rows of each reason, in file order."""
    rows = [
        row
        for code, rule in enumerate(rules, start=1)
        if rule.bad
        for row in np.flatnonzero(reason == code)[:EXAMPLES_PER_REASON]
    ]
    return [_example(path, table, rules, reason, int(row)) for row in sorted(rows)]


def _example(path: Path, table: pd.DataFrame, rules: list[Rule], reason: np.ndarray, row: int) -> str:
    """``file:line: column: reason (value)`` for one bad row."""
    rule = rules[reason[row] - 1]
    return example_text(path, row, rule, show(table[rule.column].iloc[row]))


def example_text(path: Path, row: int, rule: Rule, shown: str) -> str:
    """``file:line: column: reason (value)``; ``shown`` is the cell as ``show`` writes it."""
    return f"{locate(path, row)}: {rule.column}: {rule.reason} ({shown})"


def most_frequent_titles(kept: pd.DataFrame) -> pd.Series:
    """The most frequent title of each item (ties: the first in sort order)."""
    counts = kept[["item_id", "title"]].dropna().value_counts().rename("n").reset_index()
    best = counts.sort_values(["item_id", "n", "title"], ascending=[True, False, True])
    best = best.drop_duplicates("item_id")
    index = pd.Index(best["item_id"].to_numpy(object), name="item_id")
    return pd.Series(best["title"].to_numpy(object), index=index, name="title")


def _from_epoch(numbers: pd.Series) -> pd.Series:
    """Epoch numbers in the unit their median magnitude suggests; NaT where missing or too large."""
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(values)
    sample = values[finite][:: max(1, int(finite.sum()) // 100_000)]
    magnitude = float(np.median(np.abs(sample))) if len(sample) else 0.0
    per_unit = next(per_unit for limit, per_unit in EPOCH_UNITS if magnitude < limit)
    inside = finite & (np.abs(values) < LATEST_NANOSECOND / per_unit)
    if pd.api.types.is_integer_dtype(numbers):
        nanoseconds = np.where(inside, numbers.to_numpy(), 0) * per_unit
    else:
        nanoseconds = np.round(np.where(inside, values, 0) * per_unit).astype(np.int64)
    nanoseconds[~inside] = np.iinfo(np.int64).min  # NaT
    return pd.Series(nanoseconds.view("datetime64[ns]"), numbers.index, "datetime64[ns, UTC]")


def _mostly_numbers(values: pd.Series) -> bool:
    """Whether text holds epoch numbers rather than dates, judged on its first thousand values."""
    sample = values.dropna().head(1000)
    return 2 * int(pd.to_numeric(sample, errors="coerce").notna().sum()) >= len(sample)


def _pandas_type(arrow_type: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """Arrow text as pandas' default ``str`` dtype (kept in Arrow memory, not Python objects)."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow", na_value=np.nan)
    return None


def _whole(values: np.ndarray) -> bool:
    finite = values[~np.isnan(values)]
    return bool(np.isfinite(finite).all() and (finite == np.round(finite)).all())


def _alias_key(value: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{reason} {count:,}" for reason, count in counts.items()) or "none"


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, (dict, list)) else value
