"""``tether scan``: every environment on the machine and its distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tether.commands._inventory import add_where_options, emit, load

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan``."""
    from tether.cli import add_command

    parser = add_command(
        sub,
        "scan",
        help="list every environment on this machine and its distributions",
        description="Find every Python environment (venvs, conda environments, interpreters' own "
        "prefixes) under the roots, without running anything found, and list the distributions in "
        "each: name, version, installer, site.",
        examples=[
            "tether scan                              # home, pyenv, pipx, uv tools, conda, /usr, /usr/local",
            "tether scan --root ~/src --format json   # the projects under ~/src, as JSON",
            "tether scan -p .venv --format csv        # one environment, as CSV",
        ],
        exit_codes="exit codes: 0 listed, 2 usage or input error",
    )
    add_where_options(parser, more_formats=("cyclonedx",))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the environments."""
    from tether.formats.inventory import render_scan

    emit(args, render_scan(load(args), args.format))
    return 0
