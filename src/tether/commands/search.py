"""``tether search``: which environments hold packages whose names match a glob."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``search``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "search",
        help="find the environments that hold packages matching a pattern",
        description="List every installed distribution whose name matches PATTERN (a glob: *, ?, "
        "[...]), with its environment. Case-insensitive, and - _ . alike, unless --case-sensitive.",
        examples=[
            "tether search 'django*'                  # every Django and its plugins, everywhere",
            "tether search requests --format csv",
        ],
        exit_codes="exit codes: 0 found, 1 nothing matched, 2 usage or input error",
    )
    parser.add_argument("pattern", metavar="PATTERN", help="a glob matched against package names")
    parser.add_argument(
        "--case-sensitive",
        action="store_true",
        help="match the Name of the metadata as written, case and all",
    )
    add_where_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Search."""
    from tether.formats.inventory import render_search
    from tether.inventory.search import search

    inventory = load(args)
    matches = search(inventory, args.pattern, case_sensitive=args.case_sensitive)
    emit(args, render_search(inventory, matches, args.format, pattern=args.pattern,
                             case_sensitive=args.case_sensitive))  # fmt: skip
    return 0 if matches else 1
