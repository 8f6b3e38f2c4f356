"""``vitrine serve``, ``export`` and ``report``: the commands that read a published version."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable

def add_parsers(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the published model over HTTP (gunicorn)",
                           description="Flags override the VITRINE_* environment variables (see docs/api.md).")
    serve.add_argument("--models-dir", type=Path, help="default: $VITRINE_MODELS_DIR or models/")
    serve.add_argument("--host", help="default: $VITRINE_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: $VITRINE_PORT or 8000")
    serve.add_argument("--workers", type=int, help="default: $VITRINE_WORKERS or 2")
    serve.add_argument("--debug", action="store_true", help="Flask's development server, one process")

    export = sub.add_parser("export", help="write picks for many users to CSV or JSON lines, offline")
    who = export.add_mutually_exclusive_group(required=True)
    who.add_argument("--users", type=Path, help="file with one customer id a line")
    who.add_argument("--all", action="store_true", help="every user the model knows")
    who.add_argument("--segment", help="every customer of a lifecycle stage or live segment (e.g. at_risk) as "
                     "of now (training's members updated by the event store), with their stage and predictions "
                     "as extra columns")
    export.add_argument("--n", type=int, default=6, help="picks per user (1 to 100)")
    export.add_argument("--placement", help="placement passed to the business rules, e.g. email")
    export.add_argument("--include-purchased", action="store_true", help="do not leave out items already bought")
    export.add_argument("--models-dir", type=Path, default=Path("models"))
    export.add_argument("--out", type=Path, required=True, help="picks.csv, picks.jsonl or picks.ndjson")
    export.add_argument("--layout", choices=("long", "wide"), default="long",
                        help="CSV rows: one per pick with its score (long, default) or one per customer with "
                             "each pick's title, price, url, image and reason, for e-mail tools (wide)")
    export.add_argument("--jobs", type=int, default=1, help="worker processes scoring parts of the users (default 1)")
    export.add_argument("--quiet", action="store_true", help="no progress bar")

    report = sub.add_parser("report", help="write the customer lifecycle report as one self-contained HTML page")
    report.add_argument("--models-dir", type=Path, default=Path("models"))
    report.add_argument("--out", type=Path, required=True, help="report.html")
    report.add_argument("--currency", default=os.environ.get("VITRINE_CURRENCY", "EUR"),
                        help="ISO code of the store's prices (default: $VITRINE_CURRENCY, else EUR)")


def _serve(args: argparse.Namespace) -> int:
    from api.serve import serve

    models_dir = str(args.models_dir) if args.models_dir else None
    return serve({"MODELS_DIR": models_dir, "HOST": args.host, "PORT": args.port, "WORKERS": args.workers},
                 debug=args.debug)


def _export(args: argparse.Namespace) -> int:
    from api.config import environment_settings
    from api.serving.export import (PROFILE_COLUMNS, export_picks, known_user_ids, load_served, output_format,
                                    read_user_ids, segment_user_ids, segments_now)
    from api.rules.cache import with_stored_rules
    from api.events.segments import live_segments
    from bundle import ArtifactError

    if not 1 <= args.n <= 100:
        raise ValueError(f"--n must be from 1 to 100, got {args.n}")
    output_format(args.out, args.layout)
    settings = environment_settings()
    try:
        served = with_stored_rules(load_served(args.models_dir), settings)
    except ArtifactError as exc:
        raise ValueError(str(exc)) from exc
    now = {}
    if args.segment:
        segments = live_segments(settings)
        try:
            membership = segments.now(served)
        finally:
            segments.store.close()
        users = segment_user_ids(served, args.segment, membership)
        now = segments_now(users, membership)
    else:
        users = read_user_ids(args.users) if args.users else known_user_ids(served)
    report = export_picks(served, users, args.out, args.n, args.placement, not args.include_purchased,
                          progress=not args.quiet, jobs=args.jobs, columns=PROFILE_COLUMNS if args.segment else (),
                          now=now, layout=args.layout)
    print(f"wrote {report.rows:,} rows for {report.users:,} users to {args.out} from model {report.model_version} "
          f"in {report.seconds:.1f}s ({report.users_per_second:,.0f} users/s)")
    return 0


def _report(args: argparse.Namespace) -> int:
    from api.reports.customer_report import render_report
    from bundle import ArtifactError, load_artifacts
    from bundle.publish import read_current

    folder = read_current(args.models_dir)
    if folder is None:
        raise FileNotFoundError(f"nothing is published in {args.models_dir} (no CURRENT file): run vitrine train first")
    try:
        version = load_artifacts(folder)
    except ArtifactError as exc:
        raise ValueError(str(exc)) from exc
    if version.profiles is None:
        raise ValueError(f"model version {version.version} has no customer profiles: train it again")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_report(version, args.currency.upper()), encoding="utf-8")
    print(f"wrote the customer report of model {version.version} to {args.out}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": _serve, "export": _export, "report": _report,
}
