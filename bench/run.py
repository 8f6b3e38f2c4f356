"""`make bench`: run every benchmark and rewrite docs/benchmarks.md."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from . import api, machine, rules, segments, training

BENCHMARKS = {"training": training.run, "api": api.run, "segments": segments.run, "rules": rules.run}
OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def main(names: list[str]) -> None:
    chosen = names or list(BENCHMARKS)
    sections = [BENCHMARKS[name]() for name in chosen]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n\n".join([
        "# Benchmarks",
        f"Written by `make bench` on {stamp}. Machine: {machine.describe()}.",
        "Figures are single runs on a shared machine; compare ratios within one run, not across runs.",
        *sections,
    ])
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
