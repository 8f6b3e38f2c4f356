"""Training wall time and peak memory per stage at three demo-store scales and on real data.

Each run is a separate `vitrine train` process, so its peak memory is its own. implicit's ALS
alone is timed in the same run as a reference for what the rest of the pipeline adds.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from training.evaluation import format_table
from training.pipeline import STAGES
from bundle.publish import read_current

SCALES = {"100k": (3_300, 1_000), "1M": (33_000, 5_000), "10M": (330_000, 20_000)}
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
VITRINE = [sys.executable, "-m", "cli"]


def _train(args: list[str], models_dir: Path) -> tuple[dict, float]:
    start = time.perf_counter()
    subprocess.run(VITRINE + ["train", *args, "--models-dir", str(models_dir), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    manifest = json.loads((read_current(models_dir) / "manifest.json").read_text())
    return manifest, wall


def _row(name: str, manifest: dict, wall: float) -> str:
    seconds = manifest["timings"]["seconds"]
    peak = max(manifest["timings"]["peak_rss_mib"].values())
    stages = " | ".join(f"{seconds.get(s, 0):.1f}" for s in STAGES)
    data = manifest["data"]
    return (f"| {name} | {data['events']:,} | {data['users']:,} | {data['items']:,} | {stages} | "
            f"{wall:.1f} | {peak:,.0f} |")


def als_reference() -> str:
    """implicit's ALS alone on 1.3M random interactions, 64 factors, 10 iterations."""
    rng = np.random.default_rng(0)
    users, items, nnz = 100_000, 20_000, 1_300_000
    matrix = sp.csr_matrix((np.ones(nnz, np.float32), (rng.integers(users, size=nnz), rng.integers(items, size=nnz))),
                           shape=(users, items))
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=64, iterations=10, random_state=0)
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
    return f"implicit ALS alone, {matrix.nnz:,} interactions, 64 factors, 10 iterations: {time.perf_counter() - start:.1f} s"


def tuning(demo: Path) -> str:
    """`vitrine tune` on the demo store and on Online Retail: how the defaults were chosen."""
    runs = {
        "demo store (1M scale)": ["--events", str(demo / "events.csv"), "--catalog", str(demo / "catalog.csv")],
        "Online Retail": ["--events", str(REAL), "--preset", "online-retail", "--cutoff", "2011-11-01"],
    }
    lines = ["### Tuning (validation window before the holdout; the holdout is never seen)", ""]
    for name, args in runs.items():
        report = subprocess.run(VITRINE + ["tune", *args, "--trials", "24"], check=True, capture_output=True, text=True)
        lines += [f"`vitrine tune {' '.join(args)} --trials 24` — {name}:", "", "```", report.stdout.strip(), "```", ""]
    return "\n".join(lines)


def run() -> str:
    rows, tables = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, (users, items) in SCALES.items():
            demo = tmp / f"demo-{name}"
            subprocess.run(VITRINE + ["demo-data", "--users", str(users), "--items", str(items), "--out", str(demo)],
                           check=True, stdout=subprocess.DEVNULL)
            manifest, wall = _train(["--events", str(demo / "events.csv"), "--catalog", str(demo / "catalog.csv")],
                                    tmp / f"models-{name}")
            rows.append(_row(f"demo {name}", manifest, wall))
        manifest, wall = _train(["--events", str(REAL), "--preset", "online-retail", "--cutoff", "2011-11-01"],
                                tmp / "models-real")
        rows.append(_row("Online Retail", manifest, wall))
        tables.append(format_table(manifest["metrics"]))
        tables.append(tuning(tmp / "demo-1M"))
    header = ("| data | events | users | items | " + " | ".join(f"{s} s" for s in STAGES)
              + " | total wall s | peak RSS MiB |\n" + "|---" * (len(STAGES) + 6) + "|")
    return "\n".join([
        "## Training", "",
        "Command: `make bench` (runs `vitrine train` once per data set, each in its own process).",
        "Stages: load (read and validate files), dataset (ids → indices), evaluate (fit every model on the",
        "holdout's training part and score it), fit (ALS, co-purchase, item-kNN, EASE when the catalog is",
        "small, popularity), profiles (customer stages, RFM, predictions), artifacts (files, Annoy indexes",
        "with recall check, exact-vs-Annoy timing). Total wall time includes starting Python and the",
        "atomic switch of `models/CURRENT`.", "",
        header, *rows, "", als_reference(), "",
        "### Offline evaluation on Online Retail (train < 2011-11-01, test = later purchases of known customers)", "",
        "```", tables[0], "```", "", tables[1],
    ])
