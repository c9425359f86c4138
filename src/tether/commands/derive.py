"""``tether derive``: a requirements file from what is installed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``derive``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "derive",
        help="write a requirements file from what is installed",
        description="Write the requirements that the environments found satisfy (one with -p, or "
        "every one under the roots): each installed distribution with a specifier from its version. "
        "Where environments of different Python versions differ, lines carry python_version markers. "
        "What cannot be said in a requirements line is a note on stderr.",
        examples=[
            "tether derive -p .venv -o requirements.txt          # pin this environment",
            "tether derive --root ~/services --anchor range      # what all of them run, >=V,<NEXT",
        ],
        exit_codes="exit codes: 0 written, 2 usage or input error",
    )
    parser.add_argument(
        "--anchor",
        choices=("exact", "lower", "upper", "range"),  # tether.inventory.derive.ANCHORS
        default="exact",
        help="exact: ==V; lower: >=V; upper: <=V; range: >=V,<next major (0.Y: <0.Y+1) "
        "(default: %(default)s)",
    )
    add_where_options(parser, formats=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Derive."""
    from tether.formats.inventory import printable
    from tether.inventory.derive import derive

    inventory = load(args)
    derived = derive(inventory, args.anchor)
    if not args.quiet:
        sys.stderr.write("".join(f"tether: note: {printable(note)}\n" for note in derived.notes))
    prefixes = ", ".join(e.prefix for e in inventory.environments)
    emit(args, derived.text(f"derived by tether (--anchor {args.anchor}) from {prefixes}"))
    return 0
