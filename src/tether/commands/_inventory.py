"""The options and steps the inventory commands share: where to look, how to print."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from tether.inventory.models import Inventory

__all__ = ["add_where_options", "emit", "load"]


def add_where_options(
    parser: argparse.ArgumentParser, *, formats: bool = True, more_formats: tuple[str, ...] = ()
) -> None:
    """``--root``/``--python`` (which environments), and ``--format``/``--output``
    (*more_formats*: those this command has beyond text, json and csv)."""
    where = parser.add_argument_group("where").add_mutually_exclusive_group()
    where.add_argument(
        "--root",
        action="append",
        default=[],
        metavar="DIR",
        help="walk DIR for environments (repeatable); default: the home directory, pyenv's root, "
        "pipx's and uv's tool directories, pipenv's and poetry's virtualenvs, conda's environments.txt, "
        "/usr and /usr/local",
    )
    where.add_argument(
        "-p",
        "--python",
        metavar="PYTHON",
        help="only this environment: its directory, or an interpreter in its bin/ (read, never run)",
    )
    if formats:
        # tether.formats.inventory.FORMATS, not imported here: building the parser stays light.
        parser.add_argument(
            "--format",
            choices=("text", "json", "csv", *more_formats),
            default="text",
            help="output format (default: %(default)s)",
        )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")


def load(args: argparse.Namespace) -> Inventory:
    """Discover what *args* asks for; warnings to stderr (unless ``-q``); progress on a terminal.

    :raises TetherError: when a root is not a directory or ``--python`` names no environment.
    """
    from tether.formats.inventory import printable
    from tether.inventory.discover import discover

    progress = not args.quiet and sys.stderr.isatty()
    inventory = discover(tuple(args.root), python=args.python, progress=progress)
    if not args.quiet:
        sys.stderr.write("".join(f"tether: warning: {printable(w)}\n" for w in inventory.warnings))
    if args.verbose:
        sys.stderr.write(
            f"tether: walked {', '.join(inventory.roots)}; {len(inventory.environments)} environments\n"
        )
    return inventory


def emit(args: argparse.Namespace, text: str) -> None:
    """Write *text* to ``--output`` (whole, or not at all) or stdout."""
    if args.output is not None:
        from tether.cli import write_atomically

        write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
