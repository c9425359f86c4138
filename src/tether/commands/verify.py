"""``tether verify``: every installed file checked against its distribution's RECORD."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["register"]

EXIT_CODES = "exit codes: 0 every file as recorded, 1 findings, 2 usage or input error"


def _jobs(text: str) -> int:
    import argparse

    if not text.isdigit() or not 1 <= int(text) <= 256:
        msg = f"expected a number of threads from 1 to 256, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return int(text)


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    """``--pattern``, ``--fast`` and ``--jobs``, as verify takes them."""
    parser.add_argument(
        "--pattern", metavar="GLOB", help="only the distributions whose name matches (PEP 503 form: zope-*)"
    )
    parser.add_argument(
        "--fast", action="store_true", help="compare sizes only, without hashing (misses same-size edits)"
    )
    parser.add_argument(
        "--jobs", type=_jobs, metavar="N", help="threads reading files (default: twice the CPUs, at most 16)"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tether verify`` to *sub*."""
    from tether.cli import add_command, add_target_options

    parser = add_command(
        sub,
        "verify",
        help="check every installed file against its distribution's RECORD",
        description="Re-hash every file each installed distribution's RECORD lists and report files "
        "modified, missing, or present in a package directory without being recorded (byte code "
        "and the RECORD itself excepted). A legacy .egg-info, or a RECORD that is missing or "
        "malformed, is reported unverifiable.",
        examples=[
            "tether verify                            # .venv or the active venv",
            "tether verify -p .venv --pattern 'django*' --format json",
            "tether verify --fast                     # sizes only",
        ],
        exit_codes=EXIT_CODES,
    )
    add_target_options(parser)
    add_verify_options(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically)")
    parser.set_defaults(func=run)


def has_pip(sites: tuple[str, ...]) -> bool:
    """Whether pip is installed in one of *sites* (so a repair can use it)."""
    import glob
    import os

    return any(glob.glob(os.path.join(glob.escape(site), "pip-*.dist-info")) for site in sites)


def run(args: argparse.Namespace) -> int:
    """Verify the target; print the report; 1 when anything was found."""
    from tether.cli import write_atomically
    from tether.integrity.render import repair_files, verify_json, verify_text
    from tether.integrity.verify import verify
    from tether.target import query_target

    target = query_target(args.python)
    result = verify(target, pattern=args.pattern, fast=args.fast, jobs=args.jobs)
    repair = repair_files(result.findings, target.executable, has_pip=has_pip(target.sites))
    render = verify_json if args.format == "json" else verify_text
    out = render(result, target.executable, target.prefix, repair)
    if args.output is not None:
        # -q and -qq quiet what is shown, not the file asked for (as validate's -o).
        write_atomically(args.output, out)
    elif not (args.quiet >= 2 or (args.quiet and args.format == "text" and result.valid)):
        sys.stdout.write(out)
    return 0 if result.valid else 1
