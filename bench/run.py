"""`make bench`: run every benchmark and rewrite docs/benchmarks.md."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from . import api, engines, events, experiments, machine, rules, segments, serving_memory, training

BENCHMARKS = {"training": training.run, "api": api.run, "events": events.run, "segments": segments.run,
              "rules": rules.run, "experiments": experiments.run, "engines": engines.run,
              "serving_memory": serving_memory.run}
OUT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def previous_sections() -> dict[str, str]:
    """The sections of the current file by their "## " heading, to keep those not rerun."""
    if not OUT.exists():
        return {}
    parts = OUT.read_text().split("\n## ")[1:]
    return {part.splitlines()[0]: "## " + part.rstrip() for part in parts}


def main(names: list[str]) -> None:
    """Run the named benchmarks (all by default); sections of the others are kept as they were."""
    chosen = names or list(BENCHMARKS)
    sections = previous_sections()
    fresh = {name: BENCHMARKS[name]().rstrip() for name in chosen}
    for text in fresh.values():
        sections[text.splitlines()[0].removeprefix("## ")] = text
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n\n".join([
        "# Benchmarks",
        f"Last written by `make bench` ({', '.join(chosen)}) on {stamp}. Machine: {machine.describe()}.",
        "Figures are single runs on a shared machine; compare ratios within one run, not across runs.",
        *sections.values(),
    ])
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
