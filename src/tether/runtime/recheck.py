"""The part of the start-up check that runs only when something changed or drifted.

Imported by :mod:`.startup` when a stamp differs from the stored one, or when the stored
verdict is drift. Standard library only, Python 3.8+, never raises.

**One verdict.** The stored state holds the *expectation* tether compiled from the bound
for this interpreter (:mod:`.compare`). When only the environment changed and the
expectation is one the runtime can judge alone (pins and sources, no ranges), the
environment is scanned and compared here with the very function ``tether validate``
uses. A bound that follows the installed ``Requires-Dist`` (a hand-pinned list) is judged
here too while what it followed is unchanged and nothing it names is missing or
mismatched (:func:`.compare.settled`). In every other case (the bound's files edited,
not merely touched: their digests tell; ranges; a followed requirement that changed),
the tether that installed the hook is run once to decide (``tether site-refresh``), and
its verdict is stored under the new stamps. Concurrent starts take turns on a lock file
(``refresh.lock``); one that finds the work done just reads the result. When that tether
is gone or fails, the last verdict is shown (judged again by the runtime where it can),
with one line saying why.
"""

import os
import sys

from . import compare as _compare
from . import startup
from .scan import digest, scan, scan_conda

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["exempt", "program_name", "recheck", "report", "unreadable"]

SKIP_VAR = startup.SKIP_VAR
#: The longest the hook waits for tether to re-derive the verdict.
REFRESH_TIMEOUT = 120


def _say(text: "str") -> None:
    """Write to stderr, whatever its encoding, and never raise."""
    err = sys.stderr
    if err is None:
        return
    try:
        try:
            err.write(text)
        except UnicodeEncodeError:
            err.write(text.encode("ascii", "backslashreplace").decode("ascii"))
        err.flush()
    except Exception:  # noqa: BLE001 - a closed or broken stderr must not stop Python
        pass


def show(path: "object") -> "str":
    """A path as one printable line (quoted only when it holds a control character)."""
    text = str(path)
    if any(c in text for c in "\n\r\t\x1b"):
        return repr(text)
    return text


def unreadable(path: "str", error: "object") -> None:
    """Say, in one line, that the state file cannot be used."""
    _say(
        "tether: cannot read its start-up data ({}: {}); run `tether site-install` again "
        "or `tether site-uninstall`\n".format(show(path), error)
    )


def _write(path: "str", data: "Any") -> None:
    import marshal

    tmp = "{}.{}.tmp".format(path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(data, 2))
        os.replace(tmp, path)
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def save(state: "Dict[str, Any]") -> None:
    """Write the state, then its clean part, each atomically; a failure (a read-only file
    system) is not an error: the next start decides again."""
    _write(startup.STATE, state)
    _write(startup.CLEAN, startup.clean_part(state))


def judge(state: "Dict[str, Any]") -> "List[Any]":
    """The runtime's own verdict on the environment (only for a certain expectation)."""
    expect = state["expect"]
    dists, leftovers = scan(state["sites"])
    conda = scan_conda(state["prefix"]) if expect.get("conda") else []
    return _compare.compare(expect, dists, leftovers, conda)


# -- handing the decision to tether ------------------------------------------------------


def _refresh(state: "Dict[str, Any]") -> "Tuple[Dict[str, Any], Optional[str]]":
    """Run the tether that installed the hook to decide; return the new state and, when
    that failed, why."""
    command = state["tether"]
    if not command or not os.path.exists(command[0]):
        return state, "the tether that installed this check ({}) is gone".format(
            show(command[0] if command else "?")
        )
    guard = None
    try:
        import fcntl

        guard = open(os.path.join(startup.HERE, "refresh.lock"), "a")  # noqa: SIM115 - held until done
        fcntl.flock(guard, fcntl.LOCK_EX)
        current = startup.load()
        if isinstance(current, dict) and startup.now(current) == current["stamps"]:
            return current, None
    except (ImportError, OSError):
        pass
    try:
        return _run_refresh(state, command)
    finally:
        if guard is not None:
            guard.close()


def _run_refresh(state: "Dict[str, Any]", command: "List[str]") -> "Tuple[Dict[str, Any], Optional[str]]":
    import subprocess

    env = dict(os.environ)
    env[SKIP_VAR] = "1"
    try:
        proc = subprocess.run(
            [*command, "site-refresh", startup.STATE],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=REFRESH_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        return state, "tether could not be run ({})".format(e)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        return state, "tether failed: {}".format(
            message[-1] if message else "exit code {}".format(proc.returncode)
        )
    fresh = startup.load()
    if not isinstance(fresh, dict):
        return state, "tether wrote no result"
    return fresh, None


# -- exemptions ---------------------------------------------------------------------------


def _argv() -> "List[str]":
    """The argv of this process: ``sys.orig_argv`` (3.10+) or ``/proc/self/cmdline``."""
    argv = getattr(sys, "orig_argv", None)
    if argv:
        return list(argv)
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return list(sys.argv)


_OPTS_WITH_VALUE = ("-W", "-X", "--check-hash-based-pycs")


def program_name(argv: "Sequence[str]") -> "str":
    """What a start runs: a module (``-m pip`` -> ``pip``), a script's base name
    (``/venv/bin/pip3.11`` -> ``pip``), ``-c``, or ``-`` (stdin / interactive)."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in _OPTS_WITH_VALUE:
            i += 1
            continue
        if arg == "-":
            return "-"
        if arg.startswith(("-X", "-W", "--")):
            continue
        if not arg.startswith("-"):
            base = os.path.basename(arg)
            if base.endswith(".py"):
                base = base[:-3]
            return base.rstrip("0123456789.") or base
        # A cluster of one-letter flags, the last of which may take the next argument:
        # -IBc CODE, -m MOD, -mMOD.
        for j, flag in enumerate(arg[1:], start=1):
            if flag == "c":
                return "-c"
            if flag == "m":
                module = arg[j + 1 :] or (argv[i] if i < len(argv) else "")
                return module.split(".", 1)[0]
    return "-"


#: Subcommands with which an installer runs a program rather than repairing an
#: environment (``uv run app.py``, ``poetry run``, ``pipenv shell``, ``uv tool run``): what
#: they start is checked like any other start.
RUNNERS = frozenset({"run", "shell", "exec", "tool", "x"})


#: Subcommands with which an installer changes or queries an environment. An option's
#: value may come before the subcommand (``uv --directory proj run``, ``poetry -C dir
#: run``, ``pipenv --python 3.11 run``): the first word that is one of these or of
#: :data:`RUNNERS` is the subcommand, else the first word that is no option.
REPAIRS = frozenset(
    {"install", "uninstall", "sync", "add", "remove", "lock", "update", "upgrade", "pip", "clean"}
)


def _subcommand(args: "Sequence[str]") -> "str":
    words = [a for a in args if not a.startswith("-")]
    return next((a for a in words if a in RUNNERS or a in REPAIRS), words[0] if words else "")


def process_name(argv: "Sequence[str]") -> "Tuple[str, str]":
    """What any process runs and its subcommand: for a Python interpreter,
    :func:`program_name` and the first argument after the script; for anything else
    (``uv``, ``pipenv`` as a binary), its executable's base name and first argument."""
    if not argv:
        return "", ""
    base = os.path.basename(argv[0])
    if base.lower().startswith(("python", "pypy")):
        name = program_name(argv)
        rest = list(argv[1:])
        for i, arg in enumerate(rest):
            if os.path.basename(arg).startswith(name) or arg == name:
                return name, _subcommand(rest[i + 1 :])
        return name, ""
    return base.rstrip("0123456789.") or base, _subcommand(argv[1:])


def _parent(pid: "int") -> "Tuple[int, List[str]]":
    """The parent of *pid* and *pid*'s argv (``(0, [])`` when unknown)."""
    try:
        with open("/proc/{}/stat".format(pid), "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        with open("/proc/{}/cmdline".format(pid), "rb") as f:
            argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        return int(stat.rpartition(")")[2].split()[1]), argv
    except (OSError, ValueError, IndexError):
        pass
    import subprocess

    try:  # no /proc (macOS, the BSDs): ps says the same
        out = subprocess.run(
            ["ps", "-o", "ppid=", "-o", "command=", "-p", str(pid)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=2,
            check=False,
        ).stdout.decode("utf-8", "replace")
        ppid, _, command = out.strip().partition(" ")
        return int(ppid), command.split()
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0, []


def _ancestors() -> "List[Tuple[str, str]]":
    """What this process's ancestors run, with their subcommands, nearest first (at most
    64 of them)."""
    names = []
    pid = os.getppid()
    for _ in range(64):
        if pid <= 1:
            break
        pid, argv = _parent(pid)
        names.append(process_name(argv))
    return names


def exempt(state: "Dict[str, Any]") -> "bool":
    """Whether this start is a repair tool, run by one, or a tool's interpreter query.

    Looked at only when there is drift: reading the process tree costs a few files.
    """
    name = program_name(_argv())
    if name in state["exempt"]:
        return True
    # Installers query the target interpreter in isolated mode with code on the command
    # line (uv: ``python -I -B -c ...get_interpreter_info``); killing those would make the
    # environment impossible to repair with them.
    if name == "-c" and bool(sys.flags.isolated):
        return True
    # A start made by an installer (pip-sync's and pipenv's queries of the target, pip's
    # build backend subprocesses) is part of the repair; one that an installer merely
    # runs (uv run, poetry run, uvx) is not.
    return any(
        ancestor in state["exempt"] and ancestor != "uvx" and subcommand not in RUNNERS
        for ancestor, subcommand in _ancestors()
    )


# -- the report ------------------------------------------------------------------------------


def _line(finding: "Sequence[Any]") -> "str":
    _, status, got, want, _, detail = finding
    if status == "missing":
        return "missing (locked {})".format(want)
    if status == "mismatch":
        text = "{} installed, locked {}".format(got, want)
        return text if not detail or "does not satisfy" in detail else "{} ({})".format(text, detail)
    if status == "unexpected":
        return "{} installed, not in the lock".format(got)
    if status == "leftover":
        return "leftover of an interrupted install; remove it"
    if status == "invalid":
        return "invalid: {}".format(detail)
    if status == "stale-lock":
        return "lock out of date: {}".format(detail)
    return "{}: {}".format(status, detail)


def report(state: "Dict[str, Any]", lines: "Sequence[Any]") -> "str":
    """The drift report printed at start-up."""
    width = max(len(line[0]) for line in lines)
    if all(line[1] == "stale-lock" for line in lines):
        head = "tether: {} no longer matches its project file:\n".format(show(state["lock"]))
    else:
        head = "tether: {} has drifted from {}:\n".format(show(state["prefix"]), show(state["lock"]))
    out = [head]
    out.extend("  {}  {}\n".format(line[0].ljust(width), show(_line(line))) for line in lines)
    where = "  (in {})".format(show(state["where"])) if state["where"] else ""
    fix = _compare.repair_command(
        state["repair"], state.get("repair_strays") or "", lines, state.get("relock") or ""
    )
    out.append("  fix: {}{}\n".format(show(fix or "re-sync the environment"), where))
    out.append("  skip this check once: {}=1\n".format(SKIP_VAR))
    return "".join(out)


def _same_content(state: "Dict[str, Any]", stamps: "List[Any]") -> "bool":
    """Whether every bound file whose stamp changed still has the content it had when the
    verdict was made (a file that was absent, or unreadable, has no digest: changed)."""
    files = state["files"]
    digests = state.get("digests") or []
    if len(digests) != len(files):
        return False
    for i, path in enumerate(files):
        if stamps[i] != state["stamps"][i] and (digests[i] is None or digest(path) != digests[i]):
            return False
    return True


def _bring_up_to_date(state: "Dict[str, Any]", stamps: "List[Any]") -> "Dict[str, Any]":
    """The state with its verdict made for *stamps* (which differ from the stored ones):
    judged here when only the environment changed and the expectation is certain, else
    refreshed by tether (:func:`_refresh`); the last verdict when that fails."""
    files = len(state["files"])
    bound_changed = stamps[:files] != state["stamps"][:files]
    if bound_changed and _same_content(state, stamps):
        # Touched, not edited (a checkout back and forth): what was derived holds.
        bound_changed = False
        state["stamps"] = stamps[:files] + state["stamps"][files:]
        save(state)
    decided = False
    if not bound_changed and state["certain"]:
        lines = judge(state)
        if _compare.settled(state["expect"], lines):
            state["lines"] = lines
            state["stamps"] = stamps
            save(state)
            decided = True
    if not decided:
        state, why = _refresh(state)
        if why is not None:
            _say("tether: could not re-check this environment ({}); showing the last verdict\n".format(why))
            if state["certain"]:
                # The old expectation still says what it said; not saved, so the
                # next start tries again.
                state["lines"] = judge(state)
    return state


def recheck(state: "Dict[str, Any]", stamps: "List[Any]") -> "Optional[int]":
    """Bring the stored verdict up to date with *stamps*; report drift. Returns an exit
    code or ``None``."""
    if state["files"] and stamps[0] is None:
        _say(
            "tether: lock file {} is gone; this environment is not checked (restore it, or run "
            "`tether site-uninstall -p {}`)\n".format(show(state["lock"]), show(sys.executable))
        )
        return None
    if stamps != state["stamps"]:
        state = _bring_up_to_date(state, stamps)
    lines = state["lines"]
    if not lines or exempt(state):
        return None
    _say(report(state, lines))
    statuses = [line[1] for line in lines]
    if state["mode"] == "exit" and _compare.stops(statuses, state.get("stale_lock") or ""):
        _say("tether: not starting (exit mode); fix the environment, or set {}=1\n".format(SKIP_VAR))
        return int(state["exit_code"])
    return None
