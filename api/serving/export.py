"""``vitrine export``: the batch endpoint offline, for e-mail campaigns and bulk feeds.

Reads the published version directly (no server), scores users in chunks through the engine's
batch path and writes either CSV (``user_id,rank,item_id,score,reason``, one row per pick) or JSON
lines (``{"user_id", "items", "strategy", "model_version"}``, the batch endpoint's lines). The
``wide`` CSV layout is what e-mail tools merge: one row per customer with their stage and, per pick,
``itemK_id, itemK_title, itemK_price, itemK_url, itemK_image, itemK_reason`` (no model scores;
url and image are the catalog's ``url`` and ``image_url`` columns, blank where it has none).

With ``jobs`` > 1, parts of the user list are scored in that many joblib processes; each loads the
same version folder once, read-only (factors and Annoy indexes are memory-mapped), and renders its
part as text. Parts are written in order and cut on the same chunk boundaries as one process, so the
file is the same whatever ``jobs`` is.

``columns`` adds fields of each customer's profile (``PROFILE_COLUMNS``: stage, live segments and
predictions) after the picks' columns, or to each JSON line; ``segment_user_ids`` lists a segment's
customers for ``vitrine export --segment``.
"""
from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from joblib import Parallel, delayed
from tqdm import tqdm

from recommender.engine import Answer, Reranker
from recommender.live_segments import LiveMembership
from bundle import load_artifacts
from bundle.publish import read_current

from api.serving.answers import cards_for, export_recommendation_id, user_line
from api.serving.cards import unknown_card
from api.serving.model_store import Served, serve_version

CHUNK_USERS = 500
PART_USERS = 8 * CHUNK_USERS  # users a worker process scores per task (whole chunks only)
CSV_COLUMNS = ("user_id", "recommendation_id", "rank", "item_id", "score", "reason")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
PROFILE_COLUMNS = ("stage", "segments", "p_buy_30d", "p_buy_90d", "predicted_value_12m")
LAYOUTS = ("long", "wide")
WIDE_ITEM_FIELDS = ("id", "title", "price", "url", "image", "reason")


@dataclass(frozen=True)
class ExportReport:
    users: int
    rows: int
    seconds: float
    model_version: str

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds > 0 else float("inf")


@dataclass(frozen=True)
class Picks:
    """What to write for every user: the format and the engine's request options."""

    kind: str
    n: int
    placement: str | None
    exclude_purchased: bool
    columns: tuple[str, ...] = ()
    now: Mapping[str, dict] = field(default_factory=dict)  # user -> stage and segments as of now
    layout: str = "long"

    def header(self) -> tuple[str, ...]:
        """The CSV header: one row per pick (``long``) or per customer (``wide``)."""
        if self.layout == "long":
            return CSV_COLUMNS + self.columns
        items = tuple(f"item{rank}_{name}" for rank in range(1, self.n + 1) for name in WIDE_ITEM_FIELDS)
        return ("user_id", "recommendation_id", "stage", *items, *(c for c in self.columns if c != "stage"))


def load_served(models_dir: Path) -> Served:
    """The version ``models_dir/CURRENT`` names, ready to answer."""
    folder = read_current(models_dir)
    if folder is None:
        raise FileNotFoundError(f"nothing is published in {models_dir} (no CURRENT file): run vitrine train first")
    return serve_version(load_artifacts(folder))


def read_user_ids(path: Path) -> list[str]:
    """One customer id a line; blank lines are skipped, surrounding spaces dropped."""
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip()]


def segment_user_ids(served: Served, name: str, membership: LiveMembership) -> list[str]:
    """The customers of stage or live segment ``name`` as of now (``membership``): the stored events'
    members newest first, then training's by predicted 12-month value; erased customers (those the
    profiles know and ``served``'s engine no longer does) left out."""
    profiles = served.version.profiles
    if profiles is None:
        raise ValueError(f"model version {served.name} has no customer profiles: train it again")
    if name not in profiles.audiences():
        raise ValueError(f"--segment must be one of {', '.join(profiles.audiences())}, got {name!r}")
    return [m.user_id for m in membership.members(name)
            if served.engine.knows_user(m.user_id) or profiles.index_of(m.user_id) < 0]


def known_user_ids(served: Served) -> list[str]:
    """Every customer the served engine answers for (erased ones left out)."""
    return [user for user in served.version.model.user_ids.tolist() if served.engine.knows_user(user)]


def segments_now(user_ids: Sequence[str], membership: LiveMembership) -> dict[str, dict]:
    """Each customer's stage and live segments as of now, for the export's profile columns."""
    return {user: {"stage": membership.stage_of(user),
                   "segments": [m.segment for m in membership.memberships(user)]} for user in user_ids}


def _profile_fields(served: Served, user_id: str, picks: Picks) -> dict:
    """The requested profile fields of one customer (empty values for customers without a profile),
    with the stage and segments of ``picks.now`` where it has them."""
    profiles = served.version.profiles
    index = profiles.index_of(user_id) if profiles is not None else -1
    card = {**(profiles.card(index) if index >= 0 else {}), **picks.now.get(user_id, {})}
    fields = {**card, "segments": " ".join(card.get("segments", []))}
    return {name: fields.get(name) for name in picks.columns}


def output_format(out: Path, layout: str = "long") -> str:
    """The file format ``out``'s suffix names; the wide layout is CSV only."""
    if layout not in LAYOUTS:
        raise ValueError(f"--layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise ValueError(f"--out must end in {', '.join(FORMATS)}, got {out.name}")
    if layout == "wide" and kind != "csv":
        raise ValueError(f"--layout wide writes one CSV row per customer: --out must end in .csv, got {out.name}")
    return kind


def export_picks(served: Served, user_ids: Sequence[str], out: Path, n: int = 6, placement: str | None = None,
                 exclude_purchased: bool = True, progress: bool = True, jobs: int = 1,
                 columns: Sequence[str] = (), now: Mapping[str, dict] | None = None,
                 layout: str = "long", on_progress: Callable[[int, int], None] | None = None) -> ExportReport:
    """Write the picks of ``user_ids`` to ``out`` (format from its suffix, ``layout`` for CSV) using
    ``jobs`` processes, with the profile ``columns`` of each user (stage and segments from ``now``
    where given, see ``segments_now``); ``on_progress(done, total)`` hears of every part written.
    Returns counts and timing."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    picks = Picks(output_format(out, layout), n, placement, exclude_purchased, tuple(columns), now or {}, layout)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = done = 0
    with open(out, "w", encoding="utf-8", newline="") as file, \
            tqdm(total=len(user_ids), unit="user", disable=not progress) as bar:
        if picks.kind == "csv":
            file.write(",".join(picks.header()) + "\n")
        for users, text, count in _parts(served, user_ids, picks, jobs):
            file.write(text)
            rows += count
            bar.update(users)
            done += users
            if on_progress is not None:
                on_progress(done, len(user_ids))
    return ExportReport(len(user_ids), rows, time.perf_counter() - started, served.name)


def _parts(served: Served, user_ids: Sequence[str], picks: Picks, jobs: int) -> Iterator[tuple[int, str, int]]:
    """``(users, text, rows)`` of consecutive parts of ``user_ids``, in order."""
    if jobs == 1:
        for start in range(0, len(user_ids), CHUNK_USERS):
            chunk = user_ids[start:start + CHUNK_USERS]
            yield len(chunk), *_render(served, chunk, picks)
        return
    folder = str(served.version.path)
    parts = [list(user_ids[start:start + PART_USERS]) for start in range(0, len(user_ids), PART_USERS)]
    reranker = served.engine.reranker  # the business rules travel with each part
    rendered = Parallel(n_jobs=jobs, return_as="generator")(delayed(_render_part)(folder, part, picks, reranker)
                                                             for part in parts)
    for part, (text, count) in zip(parts, rendered):
        yield len(part), text, count


def _render_part(folder: str, user_ids: list[str], picks: Picks, reranker: Reranker) -> tuple[str, int]:
    """In a worker process: the text of one part, scored chunk by chunk like a single process."""
    served = replace(_served_at(folder), engine=_served_at(folder).engine.with_reranker(reranker))
    texts, rows = [], 0
    for start in range(0, len(user_ids), CHUNK_USERS):
        text, count = _render(served, user_ids[start:start + CHUNK_USERS], picks)
        texts.append(text)
        rows += count
    return "".join(texts), rows


@lru_cache(maxsize=1)
def _served_at(folder: str) -> Served:
    """The version in ``folder``, loaded once per worker process."""
    return serve_version(load_artifacts(Path(folder)))


def _render(served: Served, chunk: Sequence[str], picks: Picks) -> tuple[str, int]:
    """One chunk of users scored in one batch, as CSV rows or JSON lines, and its row count."""
    answers = served.engine.recommend_users(chunk, picks.n, picks.exclude_purchased, picks.placement)
    extra = {user: _profile_fields(served, user, picks) for user in chunk} if picks.columns else {}
    ids = [export_recommendation_id(served, picks.placement, user) for user in chunk]
    if picks.kind == "jsonl":
        lines = [json.dumps({**user_line(served, user, answer, list_id=list_id), **extra.get(user, {})}) + "\n"
                 for user, answer, list_id in zip(chunk, answers, ids)]
        return "".join(lines), len(lines)
    if picks.layout == "wide":
        rows = [_wide_row(served, picks, user, list_id, answer) for user, answer, list_id in zip(chunk, answers, ids)]
    else:
        rows = [(user, list_id, rank, pick.item_id, round(pick.score, 6), pick.reason, *extra.get(user, {}).values())
                for user, answer, list_id in zip(chunk, answers, ids) for rank, pick in enumerate(answer.picks, 1)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue(), len(rows)


def _wide_row(served: Served, picks: Picks, user: str, list_id: str, answer: Answer) -> list:
    """One customer's row: their stage, each pick as the card an e-mail shows, blanks after the
    last pick, then the other profile columns asked for."""
    fields = _profile_fields(served, user, replace(picks, columns=("stage", *picks.columns)))
    cards = cards_for(served)
    items = []
    for pick in answer.picks[:picks.n]:
        card = cards.get(pick.item_id) or unknown_card(pick.item_id)
        items += [pick.item_id, card.title, "" if card.price is None else card.price, card.url or "",
                  card.image_url or "", pick.reason]
    items += [""] * (picks.n * len(WIDE_ITEM_FIELDS) - len(items))
    stage = fields.pop("stage")
    return [user, list_id, stage or "", *items, *(fields[c] for c in picks.columns if c != "stage")]
