"""``tether count``: how many interpreters, environments, sites and distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``count``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "count",
        help="count interpreters, environments, sites and distributions",
        description="Count what scan finds: interpreters (each base prefix, conda environment and "
        "venv's base), environments (and of each kind), site directories, distributions.",
        examples=["tether count --root ~/src"],
        exit_codes="exit codes: 0 counted, 2 usage or input error",
    )
    add_where_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Count."""
    from tether.formats.inventory import render_count

    emit(args, render_count(load(args), args.format))
    return 0
