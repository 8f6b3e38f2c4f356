"""``vitrine demo-data``, ``train``, ``evaluate`` and ``tune``: the training job's commands."""
from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=Path, help="events file: .csv, .csv.gz or .parquet")
    parser.add_argument("--event-log", action="store_true", help="also read the service's stored events (the "
                        "database VITRINE_DATABASE_URL or VITRINE_DATA_DIR names), alone or with --events")
    parser.add_argument("--catalog", type=Path, help="product catalog file (optional)")
    parser.add_argument("--preset", help="built-in layout, e.g. online-retail or otto")
    parser.add_argument("--map", dest="column_map", help="column mapping, e.g. user_id=CustomerID,item_id=StockCode")
    parser.add_argument("--catalog-map", dest="catalog_map",
                        help="catalog column mapping, e.g. item_id=sku,image_url=ImageLink,url=Link")
    parser.add_argument("--config", type=Path, help="settings file (.toml or .json) overriding the defaults")
    parser.add_argument("--cutoff", help="evaluation cut-off date (ISO 8601); default: last 15%% of the time range")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("local", "spark"), default="local",
                        help="where events are read and ALS, co-purchase and popularity fitted: this process "
                             "(default) or Spark (pip install -e '.[spark]')")
    parser.add_argument("--master", help="Spark master URL (default: the one spark-submit sets, else local[*])")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting, e.g. spark.driver.memory=8g (repeatable)")


@contextmanager
def _engine(args: argparse.Namespace) -> Iterator:
    """The engine the options name; a Spark session is stopped when the command ends."""
    if args.engine == "local":
        from training.models import LOCAL

        yield LOCAL
        return
    pairs = [item.partition("=") for item in args.spark_conf]
    if any(not key or not sep for key, sep, _ in pairs):
        raise ValueError(f"--spark-conf takes KEY=VALUE, got {args.spark_conf!r}")
    try:
        from training.spark import SparkEngine, spark_session
    except ImportError as error:
        raise ValueError(str(error)) from None
    session = spark_session(args.master, {key: value for key, _, value in pairs})
    try:
        yield SparkEngine(session)
    finally:
        session.stop()


def add_parsers(sub: argparse._SubParsersAction) -> None:
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
    _add_engine_options(train)

    evaluate = sub.add_parser("evaluate", help="print the holdout evaluation table")
    _add_input_options(evaluate)
    evaluate.add_argument("--json", type=Path, help="also write the metrics as JSON to this file")
    _add_engine_options(evaluate)

    tune = sub.add_parser("tune", help="run only the model selection every training run does, and report it")
    _add_input_options(tune)
    tune.add_argument("--trials", type=int, help="ALS search trials (default: the selection.als_trials setting)")
    tune.add_argument("--out", type=Path, help="write the chosen settings to this .json file")


@contextmanager
def _source(args: argparse.Namespace) -> Iterator:
    """The run's inputs; with ``--event-log`` the stored events are exported to a temporary Parquet
    file for the run. Customers erased on request are always left out (when a store exists)."""
    from api.config import database_url, environment_settings
    from api.events.export import stored_erasures, write_parquet
    from api.events.store import EventStore
    from training.catalog import CATALOG_COLUMNS
    from training.events import parse_column_map
    from training.pipeline import TrainInput

    if args.events is None and not args.event_log:
        raise ValueError("give --events FILE, --event-log, or both")
    column_map = parse_column_map(args.column_map) if args.column_map else None
    catalog_map = parse_column_map(args.catalog_map, CATALOG_COLUMNS) if args.catalog_map else None
    settings = environment_settings()
    erased = stored_erasures(settings)
    with tempfile.TemporaryDirectory(prefix="vitrine-event-log-") as folder:
        log = None
        if args.event_log:
            log = Path(folder) / "event-log.parquet"
            store = EventStore(database_url(settings))
            try:
                if not write_parquet(store, log, training=True):
                    raise ValueError(f"the event log ({database_url(settings)}) holds no views, carts or purchases")
            finally:
                store.close()
        yield TrainInput(args.events, args.catalog, args.preset, column_map, event_log=log, erased=erased,
                         catalog_map=catalog_map)


def _config(args: argparse.Namespace):
    from training.config import load_config, merge

    config = load_config(args.config)
    if args.cutoff:
        config = merge(config, {"evaluation": {"cutoff": args.cutoff}})
    return config


def _demo_data(args: argparse.Namespace) -> int:
    from training.demo import generate_demo_store, write_demo_store

    store = generate_demo_store(args.users, args.items, seed=args.seed, events_per_user=args.events_per_user)
    events, catalog = write_demo_store(store, args.out)
    print(f"wrote {len(store.events):,} events to {events} and {len(store.catalog):,} products to {catalog}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from training.pipeline import train

    with _source(args) as source, _engine(args) as engine:
        manifest = train(source, _config(args), args.models_dir, not args.no_evaluate, progress=not args.quiet,
                         engine=engine)
    print(summary(manifest, args.models_dir))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from training.evaluation import format_table
    from training.pipeline import run_evaluation

    with _source(args) as source, _engine(args) as engine:
        result = run_evaluation(source, _config(args), engine)
    print(f"cut-off {result['cutoff']}; test users {result['test_users']}; chosen {result['selection'].get('chosen')}")
    print(format_table(result["metrics"]))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


def _tune(args: argparse.Namespace) -> int:
    from training.config import merge
    from training.pipeline import run_selection
    from training.selection import report_text

    config = _config(args)
    if args.trials:
        config = merge(config, {"selection": {"als_trials": args.trials}})
    with _source(args) as source:
        report = run_selection(source, config)
    print(report_text(report))
    if args.out and "settings" in report:
        args.out.write_text(json.dumps(report["settings"], indent=2))
    return 0


def summary(manifest: dict, models_dir: Path) -> str:
    from training.evaluation import format_table

    data = manifest["data"]
    lines = [
        f"published {manifest['version']} to {models_dir / manifest['version']} (models/CURRENT updated)",
        f"data: {data['events']:,} events, {data['users']:,} users, {data['items']:,} items, {data['baskets']:,} baskets",
        "seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in manifest["timings"]["seconds"].items()),
    ]
    if manifest.get("metrics"):
        lines.append(format_table(manifest["metrics"]))
    return "\n".join(lines)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo-data": _demo_data, "train": _train, "evaluate": _evaluate, "tune": _tune,
}
