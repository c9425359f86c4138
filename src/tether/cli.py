"""The command line: parse arguments, call the library, print, map errors to exit codes.

Exit codes: 0 valid, 1 drift or findings, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tether import __version__
from tether.errors import TetherError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.check import CheckOptions

__all__ = ["build_parser", "main"]

EXIT_VALID, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p", "--python", metavar="PATH",
        help="the target interpreter (or its venv directory); default: the active virtualenv, "
        "then python3 on PATH",
    )  # fmt: skip


def _add_bound_options(parser: argparse.ArgumentParser) -> None:
    _add_target_options(parser)
    group = parser.add_argument_group("bound")
    group.add_argument(
        "--lock", metavar="PATH|URL",
        help="the bound file (requirements.txt, pyproject.toml, pylock.toml, ...) or a directory "
        "holding one; default: auto-detected in the current directory",
    )  # fmt: skip
    group.add_argument("--extra", action="append", default=[], metavar="NAME",
                       help="include an optional-dependency extra (repeatable)")  # fmt: skip
    group.add_argument("--all-extras", action="store_true", help="include every extra")
    group.add_argument("--group", action="append", default=[], metavar="NAME",
                       help="include a dependency group (repeatable)")  # fmt: skip
    group.add_argument("--only-group", action="append", default=[], metavar="NAME",
                       help="include only this dependency group (repeatable)")  # fmt: skip
    group.add_argument("--without-group", "--no-group", action="append", default=[],
                       metavar="NAME", help="exclude a dependency group (repeatable)")  # fmt: skip
    group.add_argument("--no-default-groups", action="store_true",
                       help="do not include the tool's default dependency groups")  # fmt: skip
    group.add_argument("--environment", default="default", metavar="NAME",
                       help="the pixi environment (default: %(default)s)")  # fmt: skip
    rules = parser.add_argument_group("rules")
    rules.add_argument("--superset", action="store_true",
                       help="allow packages the bound does not name")  # fmt: skip
    rules.add_argument("--subset", action="store_true",
                       help="allow packages the bound names to be absent")  # fmt: skip
    rules.add_argument(
        "--ignore", action="append", default=None, metavar="NAME",
        help="neither check nor report this package (repeatable); default: pip, the installer "
        "every environment is bootstrapped with. Giving --ignore replaces that default",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="tether",
        description="Keep a Python environment locked to its lock file.",
        epilog="exit codes: 0 valid, 1 drift or findings, 2 usage or input error",
    )
    parser.add_argument("--version", action="version", version=f"tether {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = sub.add_parser(
        "validate", help="compare an environment with its lock file",
        description="Report every package that is missing, at the wrong version or source, or "
        "not allowed, in the target's environment compared with the bound.",
    )  # fmt: skip
    _add_bound_options(validate)
    validate.add_argument("--format", choices=("text", "json", "csv"), default="text",
                          help="output format (default: %(default)s)")  # fmt: skip
    validate.set_defaults(func=_cmd_validate)
    return parser


def _check_options(args: argparse.Namespace) -> CheckOptions:
    from tether.check import CheckOptions
    from tether.sources.interface import Selection
    from tether.validate import DEFAULT_IGNORE

    selection = Selection(
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        groups=tuple(args.group),
        only_groups=tuple(args.only_group),
        without_groups=tuple(args.without_group),
        no_default_groups=args.no_default_groups,
        environment=args.environment,
    )
    return CheckOptions(
        python=args.python,
        lock=args.lock,
        selection=selection,
        superset=args.superset,
        subset=args.subset,
        ignore=frozenset(DEFAULT_IGNORE if args.ignore is None else args.ignore),
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from tether.check import check
    from tether.formats import CsvFormatter, Formatter, JsonFormatter, TextFormatter

    checked = check(_check_options(args))
    formatter: Formatter
    if args.format == "json":
        formatter = JsonFormatter()
    elif args.format == "csv":
        formatter = CsvFormatter()
    else:
        formatter = TextFormatter(color=sys.stdout.isatty())
    sys.stdout.write(formatter.format(checked.report))
    return EXIT_VALID if checked.report.valid else EXIT_DRIFT


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except TetherError as e:
        sys.stderr.write(f"tether: error: {e}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return code
