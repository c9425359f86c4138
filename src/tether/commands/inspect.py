"""``tether inspect``: the code each environment runs at interpreter start-up."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``inspect``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "inspect",
        help="show the code that runs at interpreter start-up, and who installed it",
        description="List, in every environment, the code its interpreter runs at start-up: import "
        "lines of .pth files, sitecustomize and usercustomize, PEP 829 .start entry points; each with "
        "the distribution whose RECORD lists its file, or flagged UNOWNED when none does. The JSON "
        "output holds each hook's content in full.",
        examples=[
            "tether inspect                           # every environment on this machine",
            "tether inspect -p .venv --format json    # one environment, contents in full",
        ],
        exit_codes="exit codes: 0 no unowned or modified hook, 1 a hook no distribution owns, or changed "
        "since installed, 2 usage or input error",
    )
    add_where_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the hooks."""
    from tether.formats.inventory import render_inspect
    from tether.formats.text import use_color
    from tether.inventory.inspect import inspect

    inventory = load(args)
    hooks = inspect(inventory)
    color = args.output is None and use_color(args.color, sys.stdout)
    emit(args, render_inspect(inventory, hooks, args.format, color=color))
    return 1 if any(h.unowned or h.modified for h in hooks) else 0
