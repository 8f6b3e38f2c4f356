"""Parser and dispatch of the ``vitrine`` sub-commands; input errors end with status 2 and one line."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from bundle import ModelStoreError

from . import events, service, simulate, train

ROLES = (train, service, events, simulate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vitrine", description="Vitrine: recommendations for online stores.")
    sub = parser.add_subparsers(dest="command", required=True)
    for role in ROLES:
        role.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = next(role.COMMANDS[args.command] for role in ROLES if args.command in role.COMMANDS)
    try:
        return handler(args)
    except (ValueError, OSError, ModelStoreError) as exc:  # training's DataError is a ValueError
        print(f"vitrine: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str:
    """An OSError (a missing file, an unwritable folder, a full disk) as ``path: reason``."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__
