"""The ``vitrine`` command line: one entry point, one sub-command per job."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from .config import load_config
from .events import DataError, parse_column_map
from .evaluation import format_table

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(func: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = func
        return func

    return register


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=Path, required=True, help="events file: .csv, .csv.gz or .parquet")
    parser.add_argument("--catalog", type=Path, help="product catalog file (optional)")
    parser.add_argument("--preset", help="built-in layout, e.g. online-retail or otto")
    parser.add_argument("--map", dest="column_map", help="column mapping, e.g. user_id=CustomerID,item_id=StockCode")
    parser.add_argument("--config", type=Path, help="settings file (.toml or .json) overriding the defaults")
    parser.add_argument("--cutoff", help="evaluation cut-off date (ISO 8601); default: last 15%% of the time range")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vitrine", description="Vitrine: recommendations for online stores.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write a synthetic demo store (events.csv, catalog.csv)")
    demo.add_argument("--users", type=int, default=2000)
    demo.add_argument("--items", type=int, default=500)
    demo.add_argument("--events-per-user", type=float, default=30.0)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--out", type=Path, required=True)

    train = sub.add_parser("train", help="train, evaluate and publish a new model version")
    _add_input_options(train)
    train.add_argument("--models-dir", type=Path, default=Path("models"))
    train.add_argument("--no-evaluate", action="store_true", help="skip the holdout evaluation")
    train.add_argument("--quiet", action="store_true", help="no progress bars")

    evaluate = sub.add_parser("evaluate", help="print the holdout evaluation table")
    _add_input_options(evaluate)
    evaluate.add_argument("--json", type=Path, help="also write the metrics as JSON to this file")

    tune = sub.add_parser("tune", help="search the settings on a validation split and report the best")
    _add_input_options(tune)
    tune.add_argument("--trials", type=int, default=24)
    tune.add_argument("--jobs", type=int, default=2)
    tune.add_argument("--out", type=Path, help="write the best settings to this .json file")
    _add_service_commands(sub)
    return parser


def _add_service_commands(sub: argparse._SubParsersAction) -> None:
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
    who.add_argument("--segment", help="every customer of a lifecycle stage or live segment (e.g. at_risk), "
                     "with their stage and predictions as extra columns")
    export.add_argument("--n", type=int, default=6, help="picks per user (1 to 100)")
    export.add_argument("--placement", help="placement passed to the business rules, e.g. email")
    export.add_argument("--include-purchased", action="store_true", help="do not leave out items already bought")
    export.add_argument("--models-dir", type=Path, default=Path("models"))
    export.add_argument("--out", type=Path, required=True, help="picks.csv, picks.jsonl or picks.ndjson")
    export.add_argument("--jobs", type=int, default=1, help="worker processes scoring parts of the users (default 1)")
    export.add_argument("--quiet", action="store_true", help="no progress bar")

    report = sub.add_parser("report", help="write the customer lifecycle report as one self-contained HTML page")
    report.add_argument("--models-dir", type=Path, default=Path("models"))
    report.add_argument("--out", type=Path, required=True, help="report.html")


def _source(args: argparse.Namespace):
    from .pipeline import TrainInput

    column_map = parse_column_map(args.column_map) if args.column_map else None
    return TrainInput(args.events, args.catalog, args.preset, column_map)


def _config(args: argparse.Namespace):
    from .config import merge

    config = load_config(args.config)
    if args.cutoff:
        config = merge(config, {"evaluation": {"cutoff": args.cutoff}})
    return config


@command("demo-data")
def _demo_data(args: argparse.Namespace) -> int:
    from .demo import generate_demo_store, write_demo_store

    store = generate_demo_store(args.users, args.items, seed=args.seed, events_per_user=args.events_per_user)
    events, catalog = write_demo_store(store, args.out)
    print(f"wrote {len(store.events):,} events to {events} and {len(store.catalog):,} products to {catalog}")
    return 0


@command("train")
def _train(args: argparse.Namespace) -> int:
    from .pipeline import train

    manifest = train(_source(args), _config(args), args.models_dir, not args.no_evaluate, progress=not args.quiet)
    print(summary(manifest, args.models_dir))
    return 0


@command("evaluate")
def _evaluate(args: argparse.Namespace) -> int:
    from .pipeline import run_evaluation

    result = run_evaluation(_source(args), _config(args))
    print(f"cut-off {result['cutoff']}; test users {result['test_users']}")
    print(format_table(result["metrics"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


@command("tune")
def _tune(args: argparse.Namespace) -> int:
    from .tune import report, tune

    result = tune(_source(args), _config(args), trials=args.trials, n_jobs=args.jobs)
    print(report(result))
    if args.out:
        args.out.write_text(json.dumps(result["best_settings"], indent=2))
    return 0


@command("serve")
def _serve(args: argparse.Namespace) -> int:
    from api.serve import serve

    models_dir = str(args.models_dir) if args.models_dir else None
    return serve({"MODELS_DIR": models_dir, "HOST": args.host, "PORT": args.port, "WORKERS": args.workers},
                 debug=args.debug)


@command("export")
def _export(args: argparse.Namespace) -> int:
    from api.config import environment_settings
    from api.export import PROFILE_COLUMNS, export_picks, load_served, output_format, read_user_ids, segment_user_ids
    from api.rules_cache import with_stored_rules
    from bundle import ArtifactError

    if not 1 <= args.n <= 100:
        raise ValueError(f"--n must be from 1 to 100, got {args.n}")
    output_format(args.out)
    try:
        served = with_stored_rules(load_served(args.models_dir), environment_settings())
    except ArtifactError as exc:
        raise ValueError(str(exc)) from exc
    if args.segment:
        users = segment_user_ids(served, args.segment)
    else:
        users = read_user_ids(args.users) if args.users else served.version.model.user_ids.tolist()
    report = export_picks(served, users, args.out, args.n, args.placement, not args.include_purchased,
                          progress=not args.quiet, jobs=args.jobs, columns=PROFILE_COLUMNS if args.segment else ())
    print(f"wrote {report.rows:,} rows for {report.users:,} users to {args.out} from model {report.model_version} "
          f"in {report.seconds:.1f}s ({report.users_per_second:,.0f} users/s)")
    return 0


@command("report")
def _report(args: argparse.Namespace) -> int:
    from api.report import render_report
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
    args.out.write_text(render_report(version), encoding="utf-8")
    print(f"wrote the customer report of model {version.version} to {args.out}")
    return 0


def summary(manifest: dict, models_dir: Path) -> str:
    data = manifest["data"]
    lines = [
        f"published {manifest['version']} to {models_dir / manifest['version']} (models/CURRENT updated)",
        f"data: {data['events']:,} events, {data['users']:,} users, {data['items']:,} items, {data['baskets']:,} baskets",
        "seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in manifest["timings"]["seconds"].items()),
    ]
    if manifest.get("metrics"):
        lines.append(format_table(manifest["metrics"]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (DataError, ValueError, FileNotFoundError) as exc:
        print(f"vitrine: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
