"""What each API worker holds per customer: two worker processes load the same published version
and answer known customers; their private (USS) and proportional (PSS) memory is read while both
are alive, at two demo scales, so that the difference divided by the extra customers is the
per-customer cost of a worker. The files behind it are listed per customer, memory-mapped
(shared by every worker through the page cache) or read into each worker.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import psutil

from bundle.publish import read_current

from .training import VITRINE

# Ten times the customers over the same catalog, so that the difference is the customers'.
SCALES = {"small": (33_000, 5_000), "large": (330_000, 5_000)}
WORKERS = 2
REQUESTS = 2_000
# The files that grow with the customers; serving maps every one (bundle/loader.py).
PER_CUSTOMER = ("candidate_items.npy", "candidate_scores.npy", "candidate_sources.npy", "repeat_items.npy",
                "repeat_scores.npy", "repeat_sources.npy", "user_factors.npy", "users.ann", "users.npy",
                "confidence.npz", "purchases.npz", "last_purchase.npz", "rhythm.npz", "profiles.npz")


def worker(models_dir: str, requests: int) -> None:
    """One worker: build the app (it loads the version), answer ``requests`` known customers,
    say so on stdout, and stay alive until stdin closes so that the parent can read its memory."""
    from api import create_app
    from bundle import load_artifacts

    before = psutil.Process().memory_full_info().uss
    app = create_app({"MODELS_DIR": models_dir, "TESTING": True})
    users = load_artifacts(read_current(Path(models_dir)), verify_files_first=False).model.user_ids
    client = app.test_client()
    step = max(1, len(users) // requests)
    for user in users[::step][:requests]:
        reply = client.get(f"/v1/users/{user}/recommendations?n=10")
        assert reply.status_code == 200, reply.get_json()
    print(json.dumps({"uss_before_load": before}), flush=True)
    sys.stdin.read()


def measure(models_dir: Path) -> dict:
    """Memory of ``WORKERS`` workers serving ``models_dir``, read while all are alive (bytes)."""
    command = [sys.executable, "-m", "bench.serving_memory", str(models_dir), str(REQUESTS)]
    children = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                for _ in range(WORKERS)]
    reports = [json.loads(child.stdout.readline()) for child in children]
    memory = [psutil.Process(child.pid).memory_full_info() for child in children]
    for child in children:
        child.communicate("")
    return {"uss": sum(m.uss for m in memory) / WORKERS, "pss": sum(m.pss for m in memory) / WORKERS,
            "rss": sum(m.rss for m in memory) / WORKERS,
            "uss_before_load": sum(r["uss_before_load"] for r in reports) / WORKERS}


def file_bytes(version: Path) -> dict[str, int]:
    return {name: (version / name).stat().st_size for name in PER_CUSTOMER if (version / name).exists()}


def run() -> str:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = tmp / "settings.json"
        settings.write_text(json.dumps({"selection": {"enabled": False}}))
        for name, (users, items) in SCALES.items():
            demo, models = tmp / f"demo-{name}", tmp / f"models-{name}"
            subprocess.run(VITRINE + ["demo-data", "--users", str(users), "--items", str(items), "--out", str(demo)],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(VITRINE + ["train", "--events", str(demo / "events.csv"), "--catalog",
                                      str(demo / "catalog.csv"), "--config", str(settings), "--no-evaluate",
                                      "--models-dir", str(models), "--quiet"], check=True, stdout=subprocess.DEVNULL)
            version = read_current(models)
            customers = len(np.load(version / "users.npy", mmap_mode="r"))
            results[name] = {"customers": customers, "memory": measure(models), "files": file_bytes(version)}
    return report(results)


def report(results: dict) -> str:
    small, large = results["small"], results["large"]
    extra = large["customers"] - small["customers"]
    rows = []
    for kind in ("uss", "pss", "rss"):
        values = [r["memory"][kind] / 2**20 for r in (small, large)]
        slope = (large["memory"][kind] - small["memory"][kind]) / extra
        rows.append(f"| {kind.upper()} | {values[0]:,.0f} | {values[1]:,.0f} | {slope:,.0f} |")
    before = [r["memory"]["uss_before_load"] / 2**20 for r in (small, large)]
    rows.append(f"| USS before the version loads (imports) | {before[0]:,.0f} | {before[1]:,.0f} | — |")
    files = []
    for name in PER_CUSTOMER:
        if name in large["files"]:
            files.append(f"| {name} | {large['files'][name] / large['customers']:,.0f} |")
    total = sum(large["files"].values()) / large["customers"]
    return "\n".join([
        "## Serving memory per customer", "",
        f"Command: `make bench` (`python -m bench.run serving_memory` alone). {WORKERS} worker processes load",
        f"the same version (demo stores of 5,000 products, trained with selection off) and answer {REQUESTS:,} known customers",
        "each; memory is read while both are alive. USS is what a worker holds alone, PSS splits shared",
        "pages between the workers mapping them, RSS counts every page a worker touched.", "",
        f"| per worker | {small['customers']:,} customers MiB | {large['customers']:,} customers MiB | "
        "bytes per extra customer |",
        "|---|---|---|---|", *rows, "",
        "The files that grow with the customers, in bytes on disk per customer of the larger version. Serving",
        "memory-maps every one (stored lists, factors and Annoy as `.npy`/`.ann`, histories and profiles",
        "from their uncompressed `.npz`, `bundle/mapped_npz.py`), so a host holds them once in its page",
        f"cache whatever its number of workers ({total:,.0f} bytes per customer in all). What still grows in",
        "each worker (the USS slope above) is built at load from these arrays, the id lookup's 8 bytes among it:", "",
        "| file | bytes per customer |", "|---|---|", *files,
    ])


if __name__ == "__main__":
    worker(sys.argv[1], int(sys.argv[2]))
