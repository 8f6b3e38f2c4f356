"""The training job: load → dataset → evaluate → fit → index → publish, timed stage by stage."""
from __future__ import annotations

import json
import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd
from tqdm import tqdm

from bundle.publish import fingerprint_files, make_version, publish, staging_dir
from bundle.writer import write_manifest

from .artifacts import write_artifacts
from .catalog import derive_catalog, load_catalog
from .config import TrainConfig
from .dataset import Dataset, build_dataset
from .evaluation import evaluate
from .events import load_events
from .models import fit_models
from .profiles import build_profiles
from .selection import select

STAGES = ("load", "dataset", "select", "evaluate", "fit", "profiles", "artifacts")


@dataclass
class TrainInput:
    events: Path
    catalog: Path | None = None
    preset: str | None = None
    column_map: dict[str, str] | None = None


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


def load_input(source: TrainInput, config: TrainConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    events, report = load_events(source.events, source.column_map, source.preset, config.max_bad_share)
    if source.catalog is not None:
        catalog = load_catalog(source.catalog)
    else:
        catalog = derive_catalog(events, titles=report.titles)
    return events, catalog, report.to_dict()


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


def run_evaluation(source: TrainInput, config: TrainConfig) -> dict:
    """``vitrine evaluate``: selection, then the holdout table, without fitting or publishing the
    final model."""
    events, catalog, _ = load_input(source, config)
    data = build_dataset(events, catalog, config.basket_gap_hours)
    chosen = select(data, config)
    return evaluate(data, chosen.config, chosen.rankers) | {"selection": chosen.report}


def run_selection(source: TrainInput, config: TrainConfig) -> dict:
    """``vitrine tune``: only the selection report."""
    events, catalog, _ = load_input(source, config)
    return select(build_dataset(events, catalog, config.basket_gap_hours), config).report


def train(source: TrainInput, config: TrainConfig, models_dir: Path, run_evaluation: bool = True, progress: bool = True) -> dict:
    """Train, evaluate and atomically publish a new version; returns its manifest."""
    timer = StageTimer(bar=tqdm(total=len(STAGES), unit="stage", disable=not progress))
    with timer.stage("load"):
        events, catalog, load_report = load_input(source, config)
    inputs = [source.events] + ([source.catalog] if source.catalog else [])
    config_text = json.dumps(config.to_dict(), sort_keys=True, default=str)
    version = make_version(fingerprint_files(inputs, extra=config_text))
    # The staging folder is made before the long stages, so an unwritable models folder fails now.
    with staging_dir(models_dir, version) as staged:
        with timer.stage("dataset"):
            data = build_dataset(events, catalog, config.basket_gap_hours)
            stats = data_stats(data, events)
            del events
        with timer.stage("select"):
            chosen = select(data, config)
            config = chosen.config
        evaluation = None
        with timer.stage("evaluate"):
            if run_evaluation:
                evaluation = evaluate(data, config, chosen.rankers)
        with timer.stage("fit"):
            models = fit_models(data, config, now=data.end_time)
        with timer.stage("profiles"):
            profiles = build_profiles(data, config.lifecycle)
        manifest = {
            "version": version,
            "input": {"events": str(source.events), "catalog": str(source.catalog) if source.catalog else None,
                      "preset": source.preset, "load": load_report},
            "data": stats,
            "config": config.to_dict(),
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
