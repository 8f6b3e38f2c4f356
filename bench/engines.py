"""The two training engines side by side: wall time and peak memory of `vitrine train --engine local`
and `--engine spark --master local[2]` on the same files, at 1M and 10M demo events and on Online
Retail, and the holdout metrics each published version carries.

Peak memory is sampled over the whole process tree (Spark's JVM and its Python workers are
children of the command), so the Spark figure counts the JVM's heap as well as the driver's.
Each published version is then loaded and answered from, as `vitrine serve` would.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil

from bundle import load_artifacts
from bundle.publish import read_current

from .training import REAL, VITRINE

SCALES = {"1M": (33_000, 5_000), "10M": (330_000, 20_000)}
ENGINES = {"local": [], "spark": ["--engine", "spark", "--master", "local[2]"]}
SAMPLE_SECONDS = 0.2


def peak_tree_rss(process: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    """Sample the summed RSS of ``process`` and its descendants until ``stop``; the largest in ``peak[0]``."""
    while not stop.is_set():
        try:
            tree = [process, *process.children(recursive=True)]
            total = 0
            for member in tree:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            peak[0] = max(peak[0], total)
        except psutil.NoSuchProcess:
            return
        stop.wait(SAMPLE_SECONDS)


def timed_train(args: list[str], models_dir: Path) -> tuple[dict, float, float]:
    """One `vitrine train` run: its manifest, wall seconds and peak RSS of its process tree (MiB)."""
    command = VITRINE + ["train", *args, "--models-dir", str(models_dir), "--quiet"]
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=peak_tree_rss, args=(psutil.Process(child.pid), stop, peak))
    sampler.start()
    _, errors = child.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{errors[-3000:]}")
    manifest = json.loads((read_current(models_dir) / "manifest.json").read_text())
    return manifest, wall, peak[0] / 2**20


def answers(models_dir: Path) -> int:
    """How many picks the published version gives its first customer through the API."""
    from api import create_app

    version = load_artifacts(read_current(models_dir))
    client = create_app({"MODELS_DIR": str(models_dir), "TESTING": True}).test_client()
    user = str(version.model.user_ids[0])
    reply = client.get(f"/v1/users/{user}/recommendations?n=10")
    return len(reply.get_json()["items"]) if reply.status_code == 200 else 0


def _served(manifest: dict, mode: str) -> float:
    by_model = manifest["metrics"][mode]
    return by_model["ranker" if "ranker" in by_model else "blend"]["ndcg@10"]


def _row(name: str, engine: str, manifest: dict, wall: float, peak: float, served: int) -> str:
    data, seconds = manifest["data"], manifest["timings"]["seconds"]
    stages = ", ".join(f"{stage} {seconds[stage]:.0f}" for stage in ("load", "select", "evaluate", "fit")
                       if stage in seconds)
    metrics = " | ".join(f"{_served(manifest, mode):.4f}" for mode in ("new_items", "all_purchases"))
    popularity = manifest["metrics"]["new_items"]["popularity"]["ndcg@10"]
    return (f"| {name} | {data['events']:,} | {engine} | {wall:,.0f} | {stages} | {peak:,.0f} | {metrics} | "
            f"{popularity:.4f} | {served} |")


def run() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = {}
        for name, (users, items) in SCALES.items():
            demo = tmp / f"demo-{name}"
            subprocess.run(VITRINE + ["demo-data", "--users", str(users), "--items", str(items), "--out", str(demo)],
                           check=True, stdout=subprocess.DEVNULL)
            inputs[f"demo {name}"] = ["--events", str(demo / "events.csv"), "--catalog", str(demo / "catalog.csv")]
        inputs["Online Retail"] = ["--events", str(REAL), "--preset", "online-retail", "--cutoff", "2011-11-01"]
        for name, args in inputs.items():
            for engine, options in ENGINES.items():
                folder = tmp / f"models-{name}-{engine}".replace(" ", "-")
                manifest, wall, peak = timed_train([*args, *options], folder)
                rows.append(_row(name, engine, manifest, wall, peak, answers(folder)))
    return "\n".join([
        "## Training engines: local and Spark", "",
        "Command: `make bench` (`python -m bench.run engines` for this section alone). Each row is one",
        "`vitrine train` process with the default settings (model selection, holdout evaluation and",
        "artifacts included); Spark runs `--master local[2]` on this machine. Peak memory is the summed RSS",
        "of the command's process tree, sampled every 0.2 s (Spark's JVM included). NDCG@10 is the served",
        "model's on the time-based holdout, as each manifest records it; \"picks\" is how many of 10 the",
        "published version answered through the API for its first customer.", "",
        "| data | events | engine | wall s | stages s | peak MiB | NDCG@10 new items | NDCG@10 all purchases | "
        "popularity (new items) | picks |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ])
