"""The part of tether's start-up check that runs only when something changed or drifted.

Imported lazily by ``_startup`` (installed as ``_tether_hook/__init__.py``); stdlib only,
Python 3.8+, never raises. See ``_startup``'s docstring for the design.
"""

import os
import sys

__all__ = ["normalize_url", "recheck", "source_differs"]

SKIP_VAR = "TETHER_SKIP"
#: The fast-path module (installed as ``_tether_hook/__init__.py``), set by :func:`recheck`.
_fast = None


def _say(text):
    """Write to stderr, whatever its encoding, and never raise."""
    err = sys.stderr
    if err is None:
        return
    try:
        err.write(text)
    except UnicodeEncodeError:
        err.write(text.encode("ascii", "backslashreplace").decode("ascii"))
    try:
        err.flush()
    except Exception:
        pass


def show(path):
    """A path as one printable line (quotes only when it holds a control character)."""
    if any(c in path for c in "\n\r\t\x1b"):
        return repr(path)
    return path


def canonical(name):
    """PEP 503 normalization without ``re``: runs of ``-``, ``_``, ``.`` become ``-``."""
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


def normalize_url(url: "str") -> "str":
    """Reduce a URL to what identifies an artifact or repository.

    A ``vcs+`` prefix, credentials, a fragment, a trailing slash or ``.git`` and the
    case of scheme and host do not change what is installed. Shared with
    :mod:`tether.models` so that ``validate`` and the hook agree.
    """
    head, sep, rest = url.partition("://")
    if not sep:
        return url.rstrip("/")
    scheme = head.split("+", 1)[-1].lower()
    rest = rest.split("#", 1)[0]
    netloc, slash, path = rest.partition("/")
    netloc = netloc.rsplit("@", 1)[-1].lower()
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return scheme + "://" + netloc + slash + path


def read_headers(path: "str", strict: "bool" = False) -> "tuple[str, str]":
    """The ``Name`` and ``Version`` of a core metadata file, reading headers only.

    Shared with :mod:`tether.installed`. With *strict*, an unreadable file raises
    ``OSError`` instead of giving empty strings.
    """
    name = version = ""
    try:
        with open(path, "rb") as f:
            for raw in f:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:
                    break
                key, _, value = line.partition(":")
                key = key.lower()
                if key == "name":
                    name = value.strip()
                elif key == "version":
                    version = value.strip()
    except OSError:
        if strict:
            raise
    return name, version


def _entry(site, entry):
    """The (canonical name, version) of a ``.dist-info`` / ``.egg-info`` entry."""
    stem = entry[: -len(".dist-info")] if entry.endswith(".dist-info") else entry[: -len(".egg-info")]
    name, sep, rest = stem.partition("-")
    version = rest.split("-", 1)[0] if sep else ""
    if not version:
        path = os.path.join(site, entry)
        meta = path
        if os.path.isdir(path):
            meta = os.path.join(path, "METADATA" if entry.endswith(".dist-info") else "PKG-INFO")
        name, version = read_headers(meta)
        name = name or stem
    return canonical(name), version


def installed_source(dist_path):
    """The source tuple of an installed distribution, from its ``direct_url.json``.

    ``()`` is an index install (no ``direct_url.json``); otherwise the same tuples as
    :meth:`tether.models.Source.hook_key` builds for an expectation.
    """
    path = os.path.join(dist_path, "direct_url.json")
    if not os.path.exists(path):
        return ()
    import json

    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        url = str(data.get("url", ""))
        if "vcs_info" in data:
            vcs = data["vcs_info"]
            return (
                "vcs",
                str(vcs.get("vcs")),
                normalize_url(url),
                str(vcs.get("commit_id")),
                str(vcs.get("requested_revision") or ""),
            )
        if "dir_info" in data:
            from urllib.parse import unquote, urlsplit

            local = os.path.normpath(unquote(urlsplit(url).path))
            return ("dir", local, bool(data["dir_info"].get("editable", False)))
        return ("url", normalize_url(url))
    except Exception:
        return ("unreadable",)


def source_differs(expected: "tuple[object, ...] | None", installed: "tuple[object, ...]") -> "bool":
    """Whether an installed source tuple fails an expected one (``None`` accepts any)."""
    if expected is None:
        return False
    if expected and expected[0] == "vcs" and installed and installed[0] == "vcs":
        # expected: (vcs, type, url, commit or revision); installed adds the requested revision.
        revision = expected[3]
        return expected[1:3] != installed[1:3] or not (
            revision == "" or revision in installed[3:5] or installed[3].startswith(revision)
        )
    return tuple(expected) != tuple(installed)


def compare(state):
    """Compare the environment with the stored expectation; return drift lines.

    Each line is ``(name, status, installed, expected)``. The rules are those of
    :func:`tether.validate.validate` for a bound that pins every package.
    """
    expected = state["expected"]  # name -> (version or None, source tuple or None)
    optional = state["optional"]
    ignored = state["ignored"]
    found = {}
    leftovers = []
    for site in state["sites"]:
        try:
            entries = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in entries:
            if entry.startswith("~"):
                leftovers.append(entry)
            elif entry.endswith((".dist-info", ".egg-info")):
                name, version = _entry(site, entry)
                found.setdefault(name, []).append((site, entry, version))
    lines = []
    for name, (version, source) in sorted(expected.items()):
        if name in ignored:
            continue
        if name not in found:
            if not state["subset"]:
                lines.append((name, "missing", None, version or "*"))
            continue
        site, entry, got = found[name][0]
        if version is not None and got != version:
            _, header_version = read_headers(
                os.path.join(site, entry, "METADATA" if entry.endswith(".dist-info") else "PKG-INFO")
            )
            if header_version != version:
                lines.append((name, "mismatch", got, version))
                continue
        if source is not None:
            have = installed_source(os.path.join(site, entry))
            if source_differs(source, have):
                lines.append(
                    (name, "mismatch", got + " (other source)", (version or "*") + " (locked source)")
                )
    for name, places in sorted(found.items()):
        if len(places) > 1:
            sites = [p[0] for p in places]
            status = "duplicate" if len(set(sites)) < len(sites) else "shadowed"
            lines.append((name, status, places[0][2], None))
        if name in expected or name in optional or name in ignored or state["superset"]:
            continue
        lines.append((name, "unexpected", places[0][2], None))
    lines.extend((entry, "leftover", None, None) for entry in leftovers)
    return lines


def unreadable(path, error):
    """Say, in one line, that the state file cannot be used."""
    _say(
        "tether: cannot read its start-up data ({}: {}); run `tether site-install` again "
        "or `tether site-uninstall`\n".format(show(path), error)
    )


def save(state):
    """Write the state atomically; a failure (read-only file system) is not an error."""
    import marshal

    STATE = _fast.STATE
    tmp = "{}.{}.tmp".format(STATE, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(state, 2))
        os.replace(tmp, STATE)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _program():
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


def program_name(argv):
    """What this start runs: a module (``-m pip`` -> ``pip``), a script's base name
    (``/venv/bin/pip3.11`` -> ``pip``), ``-c``, or ``-`` (stdin / interactive)."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg in _OPTS_WITH_VALUE:
            i += 1
            continue
        if arg == "-" or arg.startswith(("-X", "-W", "--")):
            if arg == "-":
                return "-"
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


def exempt(state):
    """Whether this start is a repair tool, or a tool's interpreter query."""
    name = program_name(_program())
    if name in state["exempt"]:
        return True
    # Installers query the target interpreter in isolated mode with code on the command
    # line (uv: ``python -I -B -c ...get_interpreter_info``); killing those would make the
    # environment impossible to repair with them.
    return name == "-c" and bool(sys.flags.isolated)


def _refresh(state):
    """Run the tether that installed the hook to re-derive the expectation.

    Returns ``(state, ok)``. Concurrent starts take turns on a lock file, and a start
    that finds the work done by another one just reloads the state.
    """
    command = state["refresh"]
    if not command or not os.path.exists(command[0]):
        _say(
            "tether: {} changed, and the tether that installed this check ({}) is gone; "
            "checking against the old expectation (reinstall tether, then `tether site-install`)\n".format(
                show(state["lock"]), show(command[0] if command else "?")
            )
        )
        return state, False
    guard = None
    try:
        import fcntl

        guard = open(os.path.join(_fast.HERE, "refresh.lock"), "a")
        fcntl.flock(guard, fcntl.LOCK_EX)
        current = _fast.load()
        if current is not None and tuple(_fast.stamps(current)) == tuple(current["stamps"]):
            return current, True
    except (ImportError, OSError):
        pass
    try:
        return _run_refresh(state, command)
    finally:
        if guard is not None:
            guard.close()


def _run_refresh(state, command):
    import subprocess

    env = dict(os.environ)
    env[SKIP_VAR] = "1"
    try:
        proc = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120
        )
    except (OSError, subprocess.SubprocessError) as e:
        _say("tether: could not re-read {} ({})\n".format(show(state["lock"]), e))
        return state, False
    if proc.returncode not in (0, 1):
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        _say("tether: could not re-read the bound: {}\n".format(message[-1] if message else proc.returncode))
        return state, False
    fresh = _fast.load()
    return (fresh, True) if fresh is not None else (state, False)


def _report(state, lines):
    width = max(len(line[0]) for line in lines)
    out = ["tether: {} has drifted from {}:\n".format(show(state["prefix"]), show(state["lock"]))]
    for name, status, got, want in lines:
        if status == "missing":
            text = "missing (locked {})".format(want)
        elif status == "mismatch":
            text = "{} installed, locked {}".format(got, want)
        elif status == "unexpected":
            text = "{} installed, not in the lock".format(got)
        elif status == "leftover":
            text = "leftover of an interrupted install; remove it"
        else:
            text = "{}: installed in more than one place".format(status)
        out.append("  {}  {}\n".format(name.ljust(width), text))
    where = "  (in {})".format(show(os.path.dirname(state["lock"]))) if state["lock_is_file"] else ""
    out.append("  fix: {}{}\n".format(state["repair"] or "re-sync the environment", where))
    out.append("  skip this check once: {}=1\n".format(SKIP_VAR))
    return "".join(out)


def recheck(fast, state, now):
    """Bring the stored result up to date with *now*; report drift. Returns an exit code or ``None``.

    *fast* is the fast-path module, passed in because it is a package's ``__init__``
    once installed and ``tether.hook._startup`` in tether's source.
    """
    global _fast
    _fast = fast
    if state["lock_is_file"] and now[0][0] is None:
        _say(
            "tether: lock file {} is gone; this environment is not checked (restore it, or run "
            "`tether site-uninstall -p {}`)\n".format(show(state["lock"]), show(sys.executable))
        )
        return None
    if tuple(now) != tuple(state["stamps"]):
        lock_changed = now[0] != state["stamps"][0]
        if lock_changed or state["delegate"]:
            state, ok = _refresh(state)
            now = _fast.stamps(state)
            if not ok:
                # Keep the old lock stamp, so that the next start tries again.
                now = (state["stamps"][0], *now[1:])
        if tuple(now) != tuple(state["stamps"]):
            state["lines"] = compare(state)
            state["stamps"] = now
            save(state)
    lines = state["lines"]
    if not lines or exempt(state):
        return None
    _say(_report(state, lines))
    if state["mode"] == "exit":
        _say("tether: not starting (exit mode); fix the environment, or set {}=1\n".format(SKIP_VAR))
        return state["exit_code"]
    return None
