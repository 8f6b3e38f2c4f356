"""``vitrine events export`` and ``vitrine events purge``: the event store for a warehouse, and its
retention limit."""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

from recommender.customers import SECONDS_PER_DAY


def add_parsers(sub: argparse._SubParsersAction) -> None:
    events = sub.add_parser("events", help="export or purge the service's stored events",
                            description="Reads the store VITRINE_DATABASE_URL (or VITRINE_DATA_DIR) names.")
    actions = events.add_subparsers(dest="events_command", required=True)
    export = actions.add_parser("export", help="write stored events to Parquet")
    export.add_argument("--since", help="first moment (ISO 8601; UTC if no zone)")
    export.add_argument("--until", help="moment to stop before (ISO 8601)")
    export.add_argument("--out", type=Path, required=True, help="events.parquet")
    export.add_argument("--training", action="store_true", help="the canonical training layout (views, carts, "
                        "purchases; anonymous visitors as visitor:<id>) instead of every stored column")
    purge = actions.add_parser("purge", help="delete events older than the retention limit")
    purge.add_argument("--days", type=float, help="keep this many days (default: VITRINE_EVENTS_RETENTION_DAYS)")


def _run(args: argparse.Namespace) -> int:
    from api.config import database_url, environment_settings
    from api.events.store import EventStore

    settings = environment_settings()
    store = EventStore(database_url(settings))
    try:
        return _export(args, store) if args.events_command == "export" else _purge(args, store, settings)
    finally:
        store.close()


def _export(args: argparse.Namespace, store) -> int:
    from api.events.export import write_parquet

    if args.out.suffix.lower() != ".parquet":
        raise ValueError(f"--out must end in .parquet, got {args.out.name}")
    rows = write_parquet(store, args.out, _moment(args.since, "--since"), _moment(args.until, "--until"),
                         training=args.training)
    print(f"wrote {rows:,} events to {args.out}")
    return 0


def _purge(args: argparse.Namespace, store, settings) -> int:
    days = settings["EVENTS_RETENTION_DAYS"] if args.days is None else args.days
    if not days or days <= 0:
        raise ValueError("no retention limit: pass --days N or set VITRINE_EVENTS_RETENTION_DAYS")
    before = time.time() - days * SECONDS_PER_DAY
    deleted = store.purge(before)
    print(f"deleted {deleted:,} events older than {days:g} days")
    return 0


def _moment(text: str | None, flag: str) -> float | None:
    from datetime import datetime, timezone

    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} must be an ISO 8601 date or time, got {text!r}") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {"events": _run}
