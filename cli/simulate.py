"""``vitrine simulate``: synthetic shoppers driving the real API, with known click and purchase odds.

Each visitor asks for the picks of a placement (``GET /v1/visitors/{id}/recommendations``), reports
an impression of every pick, clicks one with the click rate of the variant it was served (``--truth
B:+10%`` lifts variant B's rate by a tenth), and buys the clicked item with the purchase rate, all
through ``POST /v1/events`` as a storefront would. Then an experiment's results can be checked
against the truth end to end: assignment, exposures, attribution and statistics.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

TRUTH = re.compile(r"^(?:variant=)?([A-Za-z0-9_-]{1,32}):([+-]?\d+(?:\.\d+)?)%$")
TIMEOUT = 30


@dataclass(frozen=True)
class Truth:
    """Each visitor's odds: click one pick with ``click_rate`` (× 1 + the variant's uplift), then buy it
    with ``purchase_rate``."""

    click_rate: float = 0.1
    purchase_rate: float = 0.3
    uplift: dict[str, float] = field(default_factory=dict)

    def click(self, variant: str | None) -> float:
        return min(1.0, self.click_rate * (1 + self.uplift.get(variant or "", 0.0)))


@dataclass
class Simulated:
    visitors: Counter = field(default_factory=Counter)
    clicks: Counter = field(default_factory=Counter)
    orders: Counter = field(default_factory=Counter)
    failures: int = 0

    def to_dict(self) -> dict:
        return {"visitors": dict(self.visitors), "clicks": dict(self.clicks), "orders": dict(self.orders),
                "failures": self.failures}


def parse_truth(texts: list[str]) -> dict[str, float]:
    """``["B:+10%"]`` -> ``{"B": 0.10}``."""
    uplift = {}
    for text in texts:
        match = TRUTH.match(text.strip())
        if not match:
            raise ValueError(f"--truth must look like B:+10%, got {text!r}")
        uplift[match.group(1)] = float(match.group(2)) / 100
    return uplift


def simulate(url: str, visitors: int, truth: Truth, placement: str = "home", n: int = 4, threads: int = 8,
             seed: int = 0, prefix: str | None = None) -> Simulated:
    """Drive ``visitors`` synthetic visitors through the API at ``url``; what they did, per variant."""
    prefix = prefix or f"sim-{uuid.uuid4().hex[:8]}"
    seeds = np.random.SeedSequence(seed).spawn(visitors)
    outcome = Simulated()

    def one(k: int) -> tuple[str | None, bool, bool] | None:
        try:
            return _visit(url, f"{prefix}-{k}", truth, placement, n, np.random.default_rng(seeds[k]))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            print(f"vitrine simulate: visitor {k}: {exc}", file=sys.stderr)
            return None

    with ThreadPoolExecutor(threads) as pool:
        for result in pool.map(one, range(visitors)):
            if result is None:
                outcome.failures += 1
                continue
            variant, clicked, bought = result
            name = variant or "(none)"
            outcome.visitors[name] += 1
            outcome.clicks[name] += clicked
            outcome.orders[name] += bought
    return outcome


def _visit(url: str, visitor: str, truth: Truth, placement: str, n: int,
           rng: np.random.Generator) -> tuple[str | None, bool, bool]:
    body = _call(f"{url}/v1/visitors/{visitor}/recommendations?n={n}&placement={placement}")
    items, rid = body["items"], body["recommendation_id"]
    shown = {"visitor_id": visitor, "placement": placement, "recommendation_id": rid}
    events = [{"type": "impression", "item_id": item["item_id"], "position": position, **shown}
              for position, item in enumerate(items, 1)]
    clicked = bool(items) and rng.random() < truth.click(body.get("variant"))
    bought = clicked and rng.random() < truth.purchase_rate
    if clicked:
        position = int(rng.integers(len(items)))
        item = items[position]
        events.append({"type": "click", "item_id": item["item_id"], "position": position + 1, **shown})
        if bought:
            order = {"visitor_id": visitor, "item_id": item["item_id"]}
            events += [{"type": "cart", **order},
                       {"type": "purchase", **order, "order_id": f"{visitor}-order", "quantity": 1,
                        "price": item["price"] if item["price"] is not None else 10.0}]
    for event in events:
        event["event_id"] = uuid.uuid4().hex
    _call(f"{url}/v1/events", events)
    return body.get("variant"), clicked, bought


def _call(url: str, body: object | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
        return json.loads(answer.read())


def add_parsers(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("simulate", help="drive the API with synthetic visitors whose click and purchase odds "
                            "are known (to check an experiment end to end)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running service")
    parser.add_argument("--visitors", type=int, required=True)
    parser.add_argument("--placement", default="home")
    parser.add_argument("--truth", action="append", default=[], help="a variant's true click uplift, e.g. "
                        "B:+10%% (repeat per variant; others click at --click-rate)")
    parser.add_argument("--click-rate", type=float, default=0.1, help="chance a visitor clicks a pick")
    parser.add_argument("--purchase-rate", type=float, default=0.3, help="chance a click ends in a purchase")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)


def _run(args: argparse.Namespace) -> int:
    if args.visitors < 1 or args.threads < 1:
        raise ValueError("--visitors and --threads must be at least 1")
    if not (0 <= args.click_rate <= 1 and 0 <= args.purchase_rate <= 1):
        raise ValueError("--click-rate and --purchase-rate must be from 0 to 1")
    truth = Truth(args.click_rate, args.purchase_rate, parse_truth(args.truth))
    outcome = simulate(args.url.rstrip("/"), args.visitors, truth, args.placement, threads=args.threads,
                       seed=args.seed)
    print(json.dumps(outcome.to_dict()))
    return 0 if not outcome.failures else 1


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"simulate": _run}
