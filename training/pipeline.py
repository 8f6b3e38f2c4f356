"""The training job: load → dataset → evaluate → fit → index → publish, timed stage by stage."""
from __future__ import annotations

import json
import resource
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import pandas as pd
from tqdm import tqdm

from recommender.communities import CommunityFinder
from bundle.publish import fingerprint_files, make_version, publish, staging_dir
from bundle.writer import write_manifest

from .artifacts import write_artifacts
from .catalog import derive_catalog, load_catalog
from .config import TrainConfig
from .dataset import Dataset, build_dataset
from .evaluation import evaluate
from .models import LOCAL, Engine, fit_models
from .profiles import build_profiles
from .selection import select

STAGES = ("load", "dataset", "select", "evaluate", "fit", "profiles", "artifacts")


@dataclass
class TrainInput:
    """What one training run reads: an events file (``preset``/``column_map`` describe its layout),
    the service's event log exported in the canonical layout, or both; the catalog; and the
    customers erased on request (id -> when, epoch seconds), whose rows up to then are left out."""

    events: Path | None
    catalog: Path | None = None
    preset: str | None = None
    column_map: dict[str, str] | None = None
    event_log: Path | None = None
    erased: Mapping[str, float] = field(default_factory=dict)
    catalog_map: dict[str, str] | None = None  # canonical catalog column -> the file's (``image_url=ImageLink``)

    @property
    def files(self) -> list[Path]:
        return [path for path in (self.events, self.event_log, self.catalog) if path is not None]


@dataclass
class StageTimer:
    """Wall time and peak resident memory after each named stage."""

    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    bar: tqdm | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.bar is not None:
            self.bar.set_description(name)
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        self.peak_rss_mib[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if self.bar is not None:
            self.bar.update()


def load_input(source: TrainInput, config: TrainConfig, engine: Engine = LOCAL) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The events of every input in one table, erased customers' rows left out, and the catalog;
    the load report has the events file's fields, plus ``event_log`` and ``erased_rows``."""
    if source.events is None and source.event_log is None:
        raise ValueError("nothing to train on: give an events file, the event log, or both")
    tables, reports = [], []
    if source.events is not None:
        tables.append(engine.load_events(source.events, source.column_map, source.preset, config.max_bad_share))
    if source.event_log is not None:
        tables.append(engine.load_events(source.event_log, None, None, config.max_bad_share))
    events = pd.concat([table for table, _ in tables], ignore_index=True) if len(tables) > 1 else tables[0][0]
    reports = [report for _, report in tables]
    events, erased_rows = without_erased(events, source.erased)
    if source.catalog is not None:
        catalog = load_catalog(source.catalog, source.catalog_map)
    else:
        titles = [report.titles for report in reports if report.titles is not None]
        catalog = derive_catalog(events, titles=_first_titles(titles))
    load = reports[0].to_dict() if source.events is not None else {}
    if source.event_log is not None:
        load["event_log"] = reports[-1].to_dict()
    return events, catalog, load | {"erased_rows": erased_rows}


def without_erased(events: pd.DataFrame, erased: Mapping[str, float]) -> tuple[pd.DataFrame, int]:
    """``events`` without the rows of erased customers up to their erasure; the rows left out."""
    if not erased:
        return events, 0
    until = events["user_id"].map(erased)
    erased_at = pd.to_datetime(until, unit="s", utc=True)
    gone = until.notna().to_numpy() & (events["timestamp"] <= erased_at).to_numpy()
    return (events[~gone].reset_index(drop=True), int(gone.sum())) if gone.any() else (events, 0)


def _first_titles(titles: list[pd.Series]) -> pd.Series | None:
    if not titles:
        return None
    merged = pd.concat(titles)
    return merged[~merged.index.duplicated()]


def data_stats(data: Dataset, events: pd.DataFrame) -> dict:
    counts = events["event"].value_counts().to_dict()
    return {
        "events": int(len(events)),
        "by_event": {k: int(v) for k, v in counts.items()},
        "users": data.n_users,
        "items": data.n_items,
        "baskets": int(data.basket.max() + 1) if len(data.basket) else 0,
        "first_event": events["timestamp"].min().isoformat(),
        "last_event": events["timestamp"].max().isoformat(),
    }


def run_evaluation(source: TrainInput, config: TrainConfig, engine: Engine = LOCAL) -> dict:
    """``vitrine evaluate``: selection, then the holdout table, without fitting or publishing the
    final model."""
    events, catalog, _ = load_input(source, config, engine)
    data = build_dataset(events, catalog, config.basket_gap_hours)
    chosen = select(data, config, engine)
    return evaluate(data, chosen.config, chosen.rankers, engine) | {"selection": chosen.report}


def run_selection(source: TrainInput, config: TrainConfig) -> dict:
    """``vitrine tune``: only the selection report."""
    events, catalog, _ = load_input(source, config)
    return select(build_dataset(events, catalog, config.basket_gap_hours), config).report


def train(source: TrainInput, config: TrainConfig, models_dir: Path, run_evaluation: bool = True, progress: bool = True,
          engine: Engine = LOCAL) -> dict:
    """Train, evaluate and atomically publish a new version with ``engine``; returns its manifest."""
    timer = StageTimer(bar=tqdm(total=len(STAGES), unit="stage", disable=not progress))
    with timer.stage("load"):
        events, catalog, load_report = load_input(source, config, engine)
    inputs = source.files
    config_text = json.dumps(config.to_dict(), sort_keys=True, default=str)
    version = make_version(fingerprint_files(inputs, extra=config_text))
    # The staging folder is made before the long stages, so an unwritable models folder fails now.
    with staging_dir(models_dir, version) as staged:
        with timer.stage("dataset"):
            data = build_dataset(events, catalog, config.basket_gap_hours)
            stats = data_stats(data, events)
            del events
        with timer.stage("select"):
            chosen = select(data, config, engine)
            config = chosen.config
        evaluation = None
        with timer.stage("evaluate"):
            if run_evaluation:
                evaluation = evaluate(data, config, chosen.rankers, engine)
        with timer.stage("fit"):
            models = fit_models(data, config, now=data.end_time, engine=engine)
        with timer.stage("profiles"):
            profiles = build_profiles(data, config.lifecycle, models.als.user_factors_,
                                      CommunityFinder(**asdict(config.communities)))
        manifest = {
            "version": version,
            "input": {"events": str(source.events) if source.events else None,
                      "event_log": str(source.event_log) if source.event_log else None,
                      "catalog": str(source.catalog) if source.catalog else None,
                      "preset": source.preset, "load": load_report},
            "data": stats,
            "config": config.to_dict(),
            "engine": engine.name,
            "selection": chosen.report,
            "evaluation": evaluation,
            "metrics": evaluation["metrics"] if evaluation else {},
        }
        with timer.stage("artifacts"):
            manifest |= write_artifacts(staged, data, catalog, models, config, manifest, profiles=profiles,
                                        rankers=chosen.rankers)
        manifest["timings"] = {"seconds": timer.seconds, "peak_rss_mib": timer.peak_rss_mib}
        manifest = write_manifest(staged, manifest)
        publish(models_dir, staged, version, keep=config.keep_versions)
    timer.bar.close()
    return manifest
