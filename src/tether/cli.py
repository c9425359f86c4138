"""The command line: parse arguments, call the library, print, map errors to exit codes.

Exit codes: 0 valid, 1 drift or findings, 2 usage or input error.
"""

from __future__ import annotations

import sys

from tether import __version__
from tether.errors import TetherError

# Not typing.TYPE_CHECKING: importing typing costs ~10 ms on the cached path, and
# type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from tether._fast import Display
    from tether.check import CheckOptions
    from tether.sources.interface import Selection

__all__ = [
    "COMMANDS",
    "add_bound_options",
    "add_command",
    "add_target_options",
    "build_parser",
    "main",
    "selection_of",
    "write_atomically",
]

EXIT_VALID, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2


def _seconds(text: str) -> float:
    """A duration: a finite number of seconds, more than 0 and at most a day."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 86400):
        msg = f"expected a number of seconds above 0 and at most 86400, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _exit_code(text: str) -> int:
    """An exit code a process can have and that is not success: 1 to 255."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 255:
        msg = f"expected an exit code from 1 to 255, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--python",
        metavar="PYTHON",
        help="the target interpreter: a path, a venv directory, or a version (3.12, python3.12, "
        "cpython@3.12) found on PATH; default: the active virtualenv, then .venv in this directory "
        "or a parent, then python3 on PATH",
    )


def add_bound_options(parser: argparse.ArgumentParser) -> None:
    from tether.sources import describe_formats

    add_target_options(parser)
    group = parser.add_argument_group("bound")
    group.add_argument(
        "--lock",
        metavar="PATH|URL",
        help=f"the bound: a file ({describe_formats()}), a directory holding one, an http(s) URL, or "
        "git+URL[@REV][#subdirectory=PATH]; default: auto-detected in the current directory",
    )
    group.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="include an optional-dependency extra (repeatable)",
    )
    group.add_argument("--all-extras", action="store_true", help="include every extra")
    group.add_argument(
        "--group", action="append", default=[], metavar="NAME", help="include a dependency group (repeatable)"
    )
    group.add_argument(
        "--only-group",
        action="append",
        default=[],
        metavar="NAME",
        help="include only this dependency group (repeatable)",
    )
    group.add_argument(
        "--without-group",
        "--no-group",
        action="append",
        default=[],
        metavar="NAME",
        help="exclude a dependency group (repeatable)",
    )
    group.add_argument(
        "--no-default-groups", action="store_true", help="do not include the tool's default dependency groups"
    )
    group.add_argument(
        "--environment", default="default", metavar="NAME", help="the pixi environment (default: %(default)s)"
    )
    group.add_argument(
        "--all-packages", action="store_true", help="uv workspace: every member, not only the project"
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="for a URL or git+ bound: seconds allowed per request (default: %(default)s)",
    )
    rules = parser.add_argument_group("rules")
    rules.add_argument("--superset", action="store_true", help="allow packages the bound does not name")
    rules.add_argument("--subset", action="store_true", help="allow packages the bound names to be absent")
    rules.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="NAME",
        help="neither check nor report this package (repeatable). pip, which bootstraps most "
        "environments, may always be present unlisted; a bound that lists it has it checked",
    )
    rules.add_argument(
        "--frozen",
        action="store_true",
        help="do not check that the lock still matches its project file (no stale-lock finding)",
    )


EXIT_CODES = "exit codes: 0 valid, 1 drift or findings, 2 usage or input error"
EXIT_CODES_OF = {
    "site-install": "exit codes: 0 installed, 2 usage or input error (or refused: see the message)",
    "site-uninstall": "exit codes: 0 removed (or nothing to remove), 2 usage or input error",
    "site-status": "exit codes: 0 installed, 1 not installed, 2 usage or input error",
    "completion": "exit codes: 0 printed, 2 usage error",
}

#: Examples shown at the end of each subcommand's --help.
EXAMPLES = {
    "validate": [
        "tether validate                          # .venv or the active venv, against the lock here or above",
        "tether validate -p .venv --lock uv.lock  # this venv against this lock",
        "tether validate --format json -q         # the JSON contract alone, no notes on stderr",
        "tether validate --lock git+https://host/org/repo@v1.2#subdirectory=app",
    ],
    "site-install": [
        "tether site-install                      # warn at each start of .venv/bin/python after drift",
        "tether site-install --on-drift exit      # refuse to start a drifted environment",
        "TETHER_SKIP=1 .venv/bin/python app.py    # skip the check once",
    ],
    "site-uninstall": ["tether site-uninstall -p .venv"],
    "site-status": ["tether site-status -p .venv"],
    "completion": [
        "source <(tether completion bash)         # in ~/.bashrc",
        'tether completion zsh > "${fpath[1]}/_tether"',
        "tether completion fish > ~/.config/fish/completions/tether.fish",
    ],
    "config": ["tether config                            # the settings, each with its origin"],
}


#: The modules of the commands beyond validate and the site-* family: each has a
#: ``register(sub)`` that adds its subcommand with :func:`add_command`, and keeps its
#: imports inside the function it sets as ``func`` (building the parser imports them all).
COMMANDS: tuple[str, ...] = (
    "tether.commands.audit",
    "tether.commands.scan",
    "tether.commands.search",
    "tether.commands.count",
    "tether.commands.derive",
    "tether.commands.files",
    "tether.commands.inspect",
    "tether.commands.verify",
    "tether.commands.purge",
)


def add_command(
    sub: Any,
    name: str,
    *,
    help: str,
    description: str = "",
    examples: Sequence[str] = (),
    exit_codes: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand with the options every subcommand takes (-q, -v, --color) and an epilog
    of examples and exit codes (*exit_codes*, default: :data:`EXIT_CODES`)."""
    import argparse

    lines = "\n".join(f"  {line}" for line in (*EXAMPLES.get(name, ()), *examples))
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        # An abbreviation (--no-cach) would be another command line to the result cache.
        allow_abbrev=False,
        help=help,
        description=description or help,
        epilog=(f"examples:\n{lines}\n\n" if lines else "")
        + (exit_codes or EXIT_CODES_OF.get(name, EXIT_CODES)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output = parser.add_argument_group("output")
    output.add_argument("-q", "--quiet", action="count", default=0, help="say less (repeatable)")
    output.add_argument("-v", "--verbose", action="count", default=0, help="say more, on stderr")
    output.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="color the text output: auto (default) follows NO_COLOR, FORCE_COLOR, TERM=dumb "
        "and whether stdout is a terminal",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="tether",
        allow_abbrev=False,
        description="Keep a Python environment locked to its lock file.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("-V", "--version", action="version", version=f"tether {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = add_command(
        sub,
        "validate",
        help="compare an environment with its lock file",
        description="Report every package that is missing, at the wrong version or source, or "
        "not allowed, in the target's environment compared with the bound.",
    )
    add_bound_options(validate)
    validate.add_argument(
        "--format",
        choices=("text", "json", "csv", "cyclonedx"),
        default="text",
        help="output format (default: %(default)s)",
    )
    validate.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the report to FILE (atomically: the whole report or the file as it was) "
        "instead of stdout",
    )
    validate.add_argument(
        "--no-cache",
        action="store_true",
        help="recompute even if nothing changed since the last identical run",
    )
    validate.add_argument(
        "--verify-files",
        action="store_true",
        help="also check every installed file against its distribution's RECORD, as tether verify "
        "does (never answered from the caches)",
    )
    validate.set_defaults(func=_cmd_validate)

    install = add_command(
        sub,
        "site-install",
        help="check the environment on every start of its python",
        description="Install a start-up check (a .pth hook) in the target environment: every start "
        "of its python compares the environment with the bound and warns, or refuses to run, when "
        "it has drifted. Installers (pip, uv, poetry, pipenv, pdm, pip-sync) and tether are never "
        "blocked, so the environment can always be repaired; TETHER_SKIP=1 skips one run.",
    )
    add_bound_options(install)
    install.add_argument(
        "--on-drift",
        choices=("warn", "exit"),
        default=None,
        help="warn on stderr and run, or stop before user code (default: warn)",
    )
    install.add_argument(
        "--stale-lock",
        choices=("warn", "exit"),
        default="warn",
        help="a lock that no longer matches its project file, the environment matching the lock: "
        "warn, or stop like drift in exit mode (default: %(default)s)",
    )
    install.add_argument(
        "--exit-code",
        type=_exit_code,
        default=1,
        metavar="N",
        help="exit code in exit mode, 1 to 255 (default: %(default)s)",
    )
    install.add_argument(
        "--exempt",
        action="append",
        default=[],
        metavar="PROGRAM",
        help="another program never checked (script name or -m module; repeatable)",
    )
    install.add_argument(
        "--force",
        action="store_true",
        help="overwrite hook files tether did not write; install in exit mode in an environment "
        "that has drifted already",
    )
    install.add_argument(
        "--system",
        action="store_true",
        help="install into an interpreter that is not a virtual or conda environment (every "
        "program on it is then checked)",
    )
    install.add_argument(
        "--verify-files",
        action="store_true",
        help="also check the installed files against their RECORDs (as tether verify does) now, and "
        "again at the first start after each change of the environment (an install, an upgrade, a "
        "removal)",
    )
    install.set_defaults(func=_cmd_site_install)

    uninstall = add_command(sub, "site-uninstall", help="remove the start-up check")
    add_target_options(uninstall)
    uninstall.set_defaults(func=_cmd_site_uninstall)

    refresh = sub.add_parser("site-refresh", allow_abbrev=False, help=argparse.SUPPRESS)
    refresh.add_argument("state", help="the hook's state file")
    refresh.set_defaults(func=_cmd_site_refresh)

    status = add_command(sub, "site-status", help="show whether the start-up check is installed")
    add_target_options(status)
    status.set_defaults(func=_cmd_site_status)

    config = add_command(
        sub,
        "config",
        help="show the effective configuration and where each setting comes from",
        description="Show each setting, its value and where it comes from: the environment "
        "(TETHER_LOCK, TETHER_IGNORE, ...), tether.toml or [tool.tether] in pyproject.toml found "
        "here or in a parent up to the repository's root, or the default. Options given on a "
        "command line override all of them.",
    )
    config.set_defaults(func=_cmd_config)

    completion = add_command(sub, "completion", help="print a shell completion script (bash, zsh or fish)")
    completion.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete for")
    completion.set_defaults(func=_cmd_completion)
    import importlib

    for module in COMMANDS:
        importlib.import_module(module).register(sub)
    for name, subparser in sub.choices.items():
        subparser.set_defaults(parser=subparser, command=name)
    return parser


def selection_of(args: argparse.Namespace) -> Selection:
    """What of the bound :func:`add_bound_options` selected (extras, groups, the pixi
    environment, the uv workspace members)."""
    from tether.sources.interface import Selection

    return Selection(
        extras=tuple(args.extra),
        all_extras=args.all_extras,
        groups=tuple(args.group),
        only_groups=tuple(args.only_group),
        without_groups=tuple(args.without_group),
        no_default_groups=args.no_default_groups,
        environment=args.environment,
        all_packages=args.all_packages,
    )


def _check_options(args: argparse.Namespace) -> CheckOptions:
    """The options of *args*, what they leave unset taken from the configuration (which
    also fills in ``args.on_drift`` and ``args.exempt`` for ``site-install``)."""
    from tether.check import CheckOptions
    from tether.config import apply, load_config

    config = load_config()
    apply(config, args)
    selection = selection_of(args)
    return CheckOptions(
        python=args.python,
        lock=args.lock,
        selection=selection,
        superset=args.superset,
        subset=args.subset,
        ignore=frozenset(args.ignore),
        use_cache=not getattr(args, "no_cache", False),
        timeout=args.timeout,
        frozen=args.frozen,
        config_stamps=config.stamps,
        verify_files=getattr(args, "verify_files", False),
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    display = (args.format, args.color if args.output is None else "never", args.quiet, args.verbose)
    return _validate(_check_options(args), display, args.argv, args.output)


def write_atomically(path: str, text: str) -> None:
    """Write *text* to *path* whole, or leave *path* as it was.

    A path that is not a regular file (a named pipe, ``/dev/stdout``, a terminal) is
    written to as it is, as a shell's ``>`` would: replacing it would turn a pipe
    another process reads into a file. A symbolic link is followed: the file it points
    to is replaced, the link stays.

    :raises TetherError: when it cannot be written.
    """
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        msg = f"{path}: is a directory; expected a file to write the report to"
        raise TetherError(msg)
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with open(path, "w", encoding="utf-8", errors="backslashreplace") as f:
                f.write(text)
        except OSError as e:
            msg = f"{path}: cannot write the report ({e.strerror or e})"
            raise TetherError(msg) from e
        return
    if os.path.islink(path):
        path = os.path.realpath(path)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        try:  # noqa: SIM105 - contextlib is an import on a path kept light
            os.unlink(tmp)
        except OSError:
            pass
        msg = f"{path}: cannot write the report ({e.strerror or e})"
        raise TetherError(msg) from e


def _validate(
    options: CheckOptions, display: Display, argv: Sequence[str] | None, to: str | None = None
) -> int:
    """One validation, printed (or written to *to*); remembered for *argv* unless it is
    ``None``."""
    from tether._fast import render
    from tether.check import check

    checked = check(options)
    quiet, verbose = display[2], display[3]
    err = "" if quiet else "".join(f"tether: note: {note}\n" for note in checked.bound.notes)
    sys.stderr.write(err)
    if verbose:
        bound = checked.bound
        sys.stderr.write(
            f"tether: {checked.target.executable} against {bound.path} ({bound.format}), read now; "
            f"{len(checked.report.records)} findings\n"
        )
    code = EXIT_VALID if checked.report.valid else EXIT_DRIFT
    if to is not None:
        # -q and -qq quiet what is shown; a file asked for gets the whole report (as uv's
        # -q -o does), never an empty file in place of what it held.
        write_atomically(to, render(checked.report, (display[0], display[1], 0, verbose)))
        return code
    out = render(checked.report, display)
    sys.stdout.write(out)
    from tether.sources.remote import is_remote

    if argv is not None and not is_remote(checked.bound.path):
        from tether import _cache, _fast

        _cache.store(argv, checked.stamps, out, err, code)
        _fast.remember(argv, checked, display, options)
    return code


def _cmd_site_install(args: argparse.Namespace) -> int:
    from tether.formats.text import plural
    from tether.hook.install import DEFAULT_EXEMPT, install

    options = _check_options(args)  # fills in args.on_drift and args.exempt
    checked, paths = install(
        options,
        mode=args.on_drift,
        stale_lock=args.stale_lock,
        exit_code=args.exit_code,
        exempt=(*DEFAULT_EXEMPT, *args.exempt),
        force=args.force,
        system=args.system,
    )
    if not args.quiet:
        report = checked.report
        if report.valid:
            state = "valid"
        elif all(r.status == "stale-lock" for r in report.records):
            # The environment is what the lock says; the lock is behind its project file.
            stops = args.on_drift == "exit" and args.stale_lock == "exit"
            state = "as locked, but the lock is out of date (stale-lock; " + (
                "starts stop for it)" if stops else "reported at each start, not stopping it)"
            )
        else:
            state = f"drifted ({plural(len(report.records), 'finding')})"
        sys.stdout.write(
            f"installed the start-up check in {paths.site}\n"
            f"  bound: {report.bound}  mode: {args.on_drift}  environment now: {state}\n"
        )
    return EXIT_VALID


def _cmd_config(args: argparse.Namespace) -> int:
    from tether.config import describe, load_config

    sys.stdout.write(describe(load_config()))
    return EXIT_VALID


def _cmd_site_refresh(args: argparse.Namespace) -> int:
    from tether.hook.install import refresh

    refresh(args.state)
    return EXIT_VALID


def _cmd_site_uninstall(args: argparse.Namespace) -> int:
    from tether.hook.install import uninstall
    from tether.target import query_target

    target = query_target(args.python)
    removed = uninstall(target.purelib)
    if removed:
        sys.stdout.write(f"removed the start-up check from {target.purelib}\n")
    else:
        sys.stdout.write(f"no start-up check in {target.purelib}; nothing to do\n")
    return EXIT_VALID


def _cmd_site_status(args: argparse.Namespace) -> int:
    from tether.formats.text import plural
    from tether.hook.install import read_status
    from tether.target import query_target

    target = query_target(args.python)
    status = read_status(target.purelib)
    if not status.installed:
        sys.stdout.write(f"the start-up check is not installed in {status.site} (exit code 1)\n")
        return EXIT_DRIFT
    lines = [f"installed in {status.site}", f"  bound: {status.lock}", f"  mode: {status.mode}"]
    if not status.fresh:
        lines.append("  last result: stale (the environment changed since; the next start re-checks)")
    elif status.lines:
        lines.append(f"  last result: drifted ({plural(len(status.lines), 'finding')})")
        lines += [
            f"    {name}: {st} (installed {got or '-'}, expected {want or '-'})"
            + (f"; {detail}" if detail else "")
            for name, st, got, want, _, detail in status.lines
        ]
    else:
        lines.append("  last result: valid")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_VALID


def _cmd_completion(args: argparse.Namespace) -> int:
    from tether._completion import script

    sys.stdout.write(script(args.shell, build_parser()))
    return EXIT_VALID


def _may_be_verbose(argv: Sequence[str]) -> bool:
    """Whether *argv* may hold -v (a cheap test before reading what it was parsed into)."""
    return any(a == "--verbose" or (a[:1] == "-" and a[1:2] != "-" and "v" in a) for a in argv)


def _cacheable(argv: Sequence[str]) -> bool:
    """Whether a ``validate`` command line may be answered from the caches and stored in
    them (a report written to a file is not: they hold stdout; nor a run that hashes every
    installed file: the caches stamp no file inside a package; nor a CycloneDX document,
    which needs the whole inventory and has a serial number of its own)."""
    from tether import _cache

    return (
        _cache.enabled(argv)
        and not {"--verify-files", "cyclonedx", "--format=cyclonedx"} & set(argv)
        and not any(a.startswith("--output") or (a[:1] == "-" and a[1:2] != "-" and "o" in a) for a in argv)
    )


def _answer_remembered(argv: Sequence[str]) -> int | None:
    """Answer a ``validate`` command line without argparse: from the result cache when
    nothing changed, from the remembered expectation when only the environment changed,
    from the remembered options when the bound changed; ``None`` for a line not seen
    before (or whose remembered answer no longer holds)."""
    from tether import _cache, _fast

    hit = _cache.lookup(argv) or _fast.validate(argv)
    if hit is None:
        remembered = _fast.options(argv)
        if remembered is None:
            return None
        from tether.check import CheckOptions

        try:
            options = CheckOptions.from_dict(remembered[0], config_stamps=remembered[2])
            return _validate(options, remembered[1], argv)
        except TetherError as e:
            sys.stderr.write(f"tether: error: {e}\n")
            return EXIT_ERROR
    if _may_be_verbose(argv):
        remembered = _fast.options(argv)
        if remembered is not None and remembered[1][3]:
            sys.stderr.write("tether: answered from the cache (nothing it depends on changed)\n")
    sys.stderr.write(hit[1])
    sys.stdout.write(hit[0])
    return hit[2]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    for stream in (sys.stdout, sys.stderr):
        # Paths are bytes on POSIX: one that is not UTF-8 must not end the run.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    import os

    try:
        os.getcwd()
    except OSError as e:
        # Everything tether finds (the venv, the bound, the configuration) starts there.
        sys.stderr.write(f"tether: error: the working directory is gone ({e.strerror or e}); cd somewhere\n")
        return EXIT_ERROR
    cacheable = argv[:1] == ["validate"] and _cacheable(argv)
    if cacheable:
        answered = _answer_remembered(argv)
        if answered is not None:
            return answered
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Said by the subcommand's parser, so that its usage is the one shown.
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.argv = argv if cacheable else None
    try:
        code: int = args.func(args)
    except TetherError as e:
        sys.stderr.write(f"tether: error: {e}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return code
