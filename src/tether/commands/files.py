"""``tether files``: the files each installed distribution owns, from its RECORD."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``files``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "files",
        help="list the files installed distributions own (from their RECORD)",
        description="For each installed distribution whose name matches PATTERN (all when none is "
        "given), the files its RECORD lists and how many; a distribution without a readable RECORD "
        "is listed with the reason.",
        examples=[
            "tether files -p .venv 'pip'              # pip's files in this environment",
            "tether files --count --root ~/src        # the number of files of each distribution",
        ],
        exit_codes="exit codes: 0 listed, 1 nothing matched, 2 usage or input error",
    )
    parser.add_argument("pattern", nargs="?", metavar="PATTERN", help="a glob matched against package names")
    parser.add_argument(
        "--case-sensitive", action="store_true", help="match the Name of the metadata as written"
    )
    parser.add_argument("--count", action="store_true", help="only the number of files of each distribution")
    add_where_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the files."""
    from tether.formats.inventory import render_files
    from tether.inventory.files import owned_files

    inventory = load(args)
    found = owned_files(inventory, args.pattern, case_sensitive=args.case_sensitive)
    emit(args, render_files(inventory, found, args.format, count_only=args.count))
    return 0 if found else 1
