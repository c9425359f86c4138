"""``tether audit``: known vulnerabilities in an environment, a lock, or named packages.

Exit codes: 0 no finding that fails (see ``--fail-on``), 1 findings (or a malicious
package, whatever ``--fail-on`` says), 2 usage or input error, and every failure of the
advisory source: an OSV service that cannot be reached, answers with an error status,
too late or with something that is not an OSV answer, or a database that cannot be read
(never "no vulnerabilities" in their place).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from typing import Any

    from tether.audit.inputs import Inputs

__all__ = ["register"]

EXIT_CODES = (
    "exit codes: 0 no failing finding, 1 findings at or above --fail-on (or a malicious package), "
    "2 usage or input error, or the advisory source failed (unreachable, an error status, a time-out, "
    "a malformed answer: never read as no findings)"
)
#: More records than this to fetch shows a progress bar (on a terminal only).
_PROGRESS_FROM = 20


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=88)


def register(sub: Any) -> None:
    """Add ``tether audit`` to the subcommands."""
    from tether.cli import _seconds, add_command, add_target_options

    parser = add_command(
        sub,
        "audit",
        help="report known vulnerabilities (OSV) of an environment, a lock or named packages",
        description=_wrap(
            "Report the known vulnerabilities of the packages installed for the target "
            "interpreter (as validate finds it), of those a lock selects (--lock: no environment is read; "
            "the target interpreter gives the markers), or of named packages (--package). Advisories "
            "come from the OSV API (--osv-url) or, offline, from an OSV export (--db: an all.zip or a "
            "directory of JSON/YAML records). Malicious-package reports (MAL- ids) are listed first and "
            "apart."
        ),
        examples=[
            "tether audit                             # .venv or the active venv, against OSV",
            "tether audit --lock uv.lock              # what the lock selects; no environment needed",
            "tether audit --db PyPI/all.zip           # air-gapped, from OSV's export",
            "tether audit --package jinja2==3.1.2 --format json",
            "tether audit --fail-on high --ignore-vuln GHSA-xxxx-xxxx-xxxx",
        ],
        exit_codes=EXIT_CODES,
    )
    add_target_options(parser)
    what = parser.add_argument_group("what to audit")
    what.add_argument(
        "--lock", metavar="PATH|URL", help="audit what this bound selects (see validate --lock)"
    )
    what.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="audit this package (repeatable); neither an environment nor a lock is read",
    )
    what.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GLOB",
        help="only packages whose name matches (repeatable)",
    )
    what.add_argument("--extra", action="append", default=[], metavar="NAME", help="--lock: include an extra")
    what.add_argument("--all-extras", action="store_true", help="--lock: include every extra")
    what.add_argument("--group", action="append", default=[], metavar="NAME", help="--lock: include a group")
    what.add_argument(
        "--only-group", action="append", default=[], metavar="NAME", help="--lock: only this group"
    )
    what.add_argument("--without-group", "--no-group", action="append", default=[], metavar="NAME",
                      help="--lock: exclude a group")  # fmt: skip
    what.add_argument("--no-default-groups", action="store_true", help="--lock: not the default groups")
    what.add_argument("--environment", default="default", metavar="NAME", help="--lock: the pixi environment")
    what.add_argument("--all-packages", action="store_true", help="--lock: every uv workspace member")
    source = parser.add_argument_group("advisories")
    source.add_argument(
        "--osv-url",
        metavar="URL",
        default=None,
        help="the OSV API, or a mirror of it (default: https://api.osv.dev)",
    )
    source.add_argument(
        "--db",
        metavar="PATH",
        help="audit offline against an OSV export: an all.zip, or a directory of records",
    )
    source.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="seconds allowed for each request, start to last byte (default: %(default)s)",
    )
    source.add_argument("--no-cache", action="store_true", help="neither read nor store cached answers")
    rules = parser.add_argument_group("rules")
    rules.add_argument(
        "--fail-on",
        choices=("low", "medium", "high", "critical"),
        default=None,
        help="exit 1 only for findings of this band or above (default: any finding); malicious "
        "packages and findings of unknown severity always fail",
    )
    rules.add_argument(
        "--ignore-vuln",
        action="append",
        default=[],
        metavar="ID",
        help="leave out this advisory (its id or any alias; repeatable)",
    )
    output = parser.add_argument_group("report")
    output.add_argument(
        "--format",
        choices=("text", "json", "cyclonedx"),
        default="text",
        help="output format (default: %(default)s)",
    )
    output.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically)")
    parser.set_defaults(func=_cmd_audit)


def _inputs(args: argparse.Namespace) -> Inputs:
    from tether.audit.inputs import from_environment, from_lock, from_specs, narrow
    from tether.cli import selection_of

    if args.package:
        if args.lock is not None or args.python is not None:
            args.parser.error("--package audits the packages named: it takes neither --lock nor --python")
        try:
            inputs = from_specs(args.package)
        except ValueError as e:
            args.parser.error(str(e))
    elif args.lock is not None:
        inputs = from_lock(args.lock, args.python, selection_of(args), timeout=args.timeout)
    else:
        inputs = from_environment(args.python)
    return narrow(inputs, args.pattern)


class _Bar:
    """A one-line progress bar on stderr, drawn only on a terminal and for long runs."""

    def __init__(self) -> None:
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if total < _PROGRESS_FROM:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\rfetching advisories [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _cmd_audit(args: argparse.Namespace) -> int:
    from tether.audit import OfflineSource, OnlineSource, Source, audit
    from tether.cli import write_atomically
    from tether.formats.audit import render

    if args.db is not None and args.osv_url is not None:
        args.parser.error("--db audits offline: it takes no --osv-url")
    inputs = _inputs(args)
    bar = _Bar() if sys.stderr.isatty() and not args.quiet else None
    source: Source
    if args.db is not None:
        from tether.audit.db import open_database

        source = OfflineSource(open_database(args.db, use_cache=not args.no_cache))
    else:
        from tether.audit.client import DEFAULT_URL, Client

        client = Client(
            args.osv_url or DEFAULT_URL, timeout=args.timeout, use_cache=not args.no_cache, progress=bar
        )
        source = OnlineSource(client)
    try:
        report = audit(
            inputs.packages,
            source,
            skipped=inputs.skipped,
            ignore=args.ignore_vuln,
            fail_on=args.fail_on,
            python=inputs.python,
            lock=inputs.lock,
            notes=inputs.notes,
        )
    finally:
        if bar is not None:
            bar.clear()
    if not args.quiet:
        sys.stderr.write("".join(f"tether: note: {note}\n" for note in report.notes))
    if args.verbose:
        sys.stderr.write(
            f"tether: audited {len(report.packages)} packages against {report.source}"
            f" ({report.source_kind})\n"
        )
    out = render(report, args.format)
    code = 1 if report.failing else 0
    if args.output is not None:
        write_atomically(args.output, out)
    elif not (args.quiet >= 2 or (args.quiet and args.format == "text" and not code)):
        sys.stdout.write(out)
    return code
