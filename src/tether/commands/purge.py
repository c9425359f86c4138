"""``tether purge``: remove unexpected packages, or those matching a pattern, by their RECORD."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from tether.runtime.scan import Dist
    from tether.target import Target

__all__ = ["register"]

EXIT_CODES = (
    "exit codes: 0 removed (or nothing to remove), 1 dry run with packages to remove, "
    "2 usage or input error, or refused (nothing removed)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tether purge`` to *sub*."""
    from tether.cli import add_bound_options, add_command

    parser = add_command(
        sub,
        "purge",
        help="remove unexpected packages, or those matching a pattern (a dry run unless --yes)",
        description="Remove the packages validate reports as unexpected (--invalid) or whose name "
        "matches --pattern, deleting exactly the files each one's RECORD lists. Without --yes, only "
        "lists what would be removed. All or nothing: every file is moved aside first and deleted "
        "only when all moved. pip, tether and what tether needs are kept unless named exactly "
        "(--pattern pip), and so is "
        "a file another package records too; a RECORD naming a path outside the environment, or the "
        "environment's own files (its interpreter, pyvenv.cfg), is refused, and so is an "
        "EXTERNALLY-MANAGED (PEP 668) installation.",
        examples=[
            "tether purge --invalid                   # list what the lock does not allow",
            "tether purge --invalid --yes             # and remove it",
            "tether purge --pattern 'types-*' --yes",
        ],
        exit_codes=EXIT_CODES,
    )
    add_bound_options(parser)
    choose = parser.add_argument_group("what to remove")
    choose.add_argument("--invalid", action="store_true", help="the packages validate reports as unexpected")
    choose.add_argument(
        "--pattern",
        action="append",
        default=[],
        metavar="GLOB",
        help="the packages whose name matches (PEP 503 form; repeatable)",
    )
    parser.add_argument("--yes", action="store_true", help="remove; without it, only list what would go")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    parser.set_defaults(func=run)


def _chosen(args: argparse.Namespace, target: Target) -> dict[Dist, str]:
    """Each distribution to remove, and why."""
    from tether.installed import scan
    from tether.integrity.verify import canonical_pattern, select

    chosen: dict[Dist, str] = {}
    if args.invalid:
        from tether.check import check
        from tether.cli import _check_options

        checked = check(_check_options(args))
        unexpected = {
            (r.name, r.sites[0]) for r in checked.report.records if r.status == "unexpected" and r.sites
        }
        for dist in checked.installed.dists:
            if (dist.name, dist.site) in unexpected:
                chosen.setdefault(dist, "unexpected")
    if args.pattern:
        dists = scan(target.sites).dists
        for pattern in args.pattern:
            for dist in select(dists, pattern):
                chosen.setdefault(dist, f"matches {canonical_pattern(pattern)}")
    return chosen


def run(args: argparse.Namespace) -> int:
    """Plan; list it; act on it with ``--yes``."""
    from tether.integrity.purge import execute, plan
    from tether.integrity.render import purge_json, purge_text
    from tether.integrity.verify import canonical_pattern
    from tether.target import query_target

    if not args.invalid and not args.pattern:
        args.parser.error("say what to remove: --invalid, --pattern GLOB, or both")
    target = query_target(args.python)
    named = {canonical_pattern(p) for p in args.pattern}
    planned = plan(target, _chosen(args, target), named=named)
    if args.yes:
        for left in execute(planned):
            sys.stderr.write(f"tether: warning: {left}\n")
    render = purge_json if args.format == "json" else purge_text
    if args.quiet < 2:
        sys.stdout.write(render(planned, target.executable, dry_run=not args.yes))
    return 1 if planned.removals and not args.yes else 0
