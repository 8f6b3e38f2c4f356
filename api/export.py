"""``vitrine export``: the batch endpoint offline, for e-mail campaigns and bulk feeds.

Reads the published version directly (no server), scores users in chunks through the engine's
batch path and writes either CSV (``user_id,rank,item_id,score,reason``, one row per pick) or JSON
lines (``{"user_id", "items", "strategy", "model_version"}``, the batch endpoint's lines).
"""
from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from recommender.engine import Answer
from training.artifacts import load_artifacts
from training.publish import read_current

from .answers import user_line
from .model_store import Served, serve_version

CHUNK_USERS = 500
CSV_COLUMNS = ("user_id", "rank", "item_id", "score", "reason")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class ExportReport:
    users: int
    rows: int
    seconds: float
    model_version: str

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds > 0 else float("inf")


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


def output_format(out: Path) -> str:
    try:
        return FORMATS[out.suffix.lower()]
    except KeyError:
        raise ValueError(f"--out must end in {', '.join(FORMATS)}, got {out.name}") from None


def export_picks(served: Served, user_ids: Sequence[str], out: Path, n: int = 6, placement: str | None = None,
                 exclude_purchased: bool = True, progress: bool = True) -> ExportReport:
    """Write the picks of ``user_ids`` to ``out`` (format from its suffix); returns counts and timing."""
    kind = output_format(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = 0
    with open(out, "w", encoding="utf-8", newline="") as file, \
            tqdm(total=len(user_ids), unit="user", disable=not progress) as bar:
        write = _csv_writer(file) if kind == "csv" else _jsonl_writer(file, served)
        for chunk, answers in _answers(served, user_ids, n, exclude_purchased, placement):
            rows += write(chunk, answers)
            bar.update(len(chunk))
    return ExportReport(len(user_ids), rows, time.perf_counter() - started, served.name)


def _answers(served: Served, user_ids: Sequence[str], n: int, exclude_purchased: bool,
             placement: str | None) -> Iterator[tuple[Sequence[str], list[Answer]]]:
    for start in range(0, len(user_ids), CHUNK_USERS):
        chunk = user_ids[start:start + CHUNK_USERS]
        yield chunk, served.engine.recommend_users(chunk, n, exclude_purchased, placement)


def _csv_writer(file: IO[str]):
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)

    def write(chunk: Sequence[str], answers: list[Answer]) -> int:
        rows = [(user, rank, pick.item_id, round(pick.score, 6), pick.reason)
                for user, answer in zip(chunk, answers) for rank, pick in enumerate(answer.picks, 1)]
        writer.writerows(rows)
        return len(rows)

    return write


def _jsonl_writer(file: IO[str], served: Served):
    def write(chunk: Sequence[str], answers: list[Answer]) -> int:
        file.write("".join(json.dumps(user_line(served, user, answer)) + "\n" for user, answer in zip(chunk, answers)))
        return len(chunk)

    return write
