"""Bounds that live elsewhere: an HTTP(S) URL, or a git repository at a revision.

``--lock https://host/path/uv.lock`` downloads the file (and, for the formats that need
one, the ``pyproject.toml`` beside it, when the server has it) into a temporary folder.
Proxies come from the usual ``*_proxy`` variables and certificates from the system store
or ``SSL_CERT_FILE``, as urllib does. ``--timeout`` bounds each download from its start
to its last byte, and nothing larger than 64 MiB is downloaded (see :mod:`._http`). A
body shorter than its ``Content-Length``, a folder (a redirect to ``.../``) and a web
page (an HTML folder listing) are refused; a companion the server answers with an error
status for is taken as absent.

``--lock git+URL[@REV][#subdirectory=PATH]`` (``git+https://``, ``git+ssh://``,
``git+file:///path`` or ``git+/local/path``) reads the bound from the repository at
``REV`` (default ``HEAD``) without checking anything out: PATH names the file, or a
folder in which the bound is found by the same order as auto-detection. The companion
files its format reads (``pyproject.toml``) are read from the same revision, as bytes
(a file that is not UTF-8 is named as such). ``--timeout`` bounds the whole fetch; at the
deadline git and every process it started are killed, as one process group of its own
session: git runs without a terminal (nor a prompt, ``GIT_TERMINAL_PROMPT=0``), so
credentials come from an agent or a credential helper.

Which names are looked for and which companions a format has come from
``tether.sources.FORMATS``, passed in by the caller.
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import TYPE_CHECKING

from tether.errors import BoundError
from tether.sources._files import MAX_BYTES

if TYPE_CHECKING:
    import tempfile
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["fetch", "is_remote"]


def is_remote(location: str) -> bool:
    """Whether a ``--lock`` value names a URL or a git repository."""
    return location.startswith(("http://", "https://", "git+"))


def fetch(
    location: str,
    workdir: Path,
    detect_order: tuple[str, ...],
    companions: Callable[[str], tuple[str, ...]],
    timeout: float,
) -> Path:
    """Bring a remote bound (and its companions) into *workdir*; return the bound's path.

    :param detect_order: the file names looked for in a folder, in order.
    :param companions: the files read beside a bound of a given file name.
    :param timeout: seconds allowed for each download, or for the whole git fetch.
    :raises BoundError: when it cannot be had, naming the location and the reason.
    """
    if not 0 < timeout < math.inf:
        raise BoundError(location, f"invalid timeout {timeout!r}; expected a positive number of seconds")
    if location.startswith("git+"):
        return _from_git(location, workdir, detect_order, companions, timeout)
    return _from_http(location, workdir, companions, timeout)


def _from_http(url: str, workdir: Path, companions: Callable[[str], tuple[str, ...]], timeout: float) -> Path:
    from urllib.parse import unquote, urlsplit

    from tether.sources._http import Missing, download

    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if name in {"", ".", ".."} or "/" in name or "\0" in name:
        raise BoundError(url, "names no file; expected a URL ending in the bound's file name")
    target = workdir / name
    target.write_bytes(download(url, timeout))
    base = url.split("?", 1)[0].rsplit("/", 1)[0]
    for companion in companions(name):
        try:
            (workdir / companion).write_bytes(download(f"{base}/{companion}", timeout))
        except Missing:
            continue  # the reader says what it assumed without it
    return target


def _parse_git(location: str) -> tuple[str, str, str]:
    """Split ``git+URL@REV#subdirectory=PATH`` into URL, REV and PATH."""
    from urllib.parse import urlsplit

    spec, _, fragment = location[len("git+") :].partition("#")
    subdirectory = ""
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "subdirectory":
            subdirectory = value.strip("/")
    parts = urlsplit(spec)
    if parts.scheme:
        path, revision = parts.path, "HEAD"
        if "@" in path:
            path, revision = path.rsplit("@", 1)
        return parts._replace(path=path).geturl(), revision, subdirectory
    # A local path: the revision follows the last "@".
    path, at, revision = spec.rpartition("@")
    if not at:
        return spec, "HEAD", subdirectory
    return path, revision, subdirectory


class _TimedOut(BoundError):
    """git did not finish before the fetch's deadline."""


def _timed_out(timeout: float) -> str:
    return f"git timed out after {timeout:g} s (--timeout bounds the whole fetch)"


def _git(args: list[str], location: str, deadline: float, timeout: float, cwd: Path | None = None) -> bytes:
    """git's output; at the deadline, git and whatever it started (a remote helper, ssh)
    are killed as one process group."""
    import signal
    import subprocess
    import time

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _TimedOut(location, _timed_out(timeout))
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError as e:
        raise BoundError(location, "git is not installed; it is needed for git+ bounds") from e
    try:
        out, err = proc.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        raise _TimedOut(location, _timed_out(timeout)) from None
    finally:
        if proc.returncode is None:
            # Timed out, or interrupted: the group is git's own (start_new_session).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
    if proc.returncode != 0:
        last = (err.decode("utf-8", "replace").strip().splitlines() or ["failed"])[-1]
        raise BoundError(location, f"git {args[0]}: {last}")
    return out


def _tree(repo: Path, spec: str, location: str, deadline: float, timeout: float) -> dict[str, str]:
    """name -> type (``blob``, ``tree``, ``commit``) of the entries of a tree ``REV:PATH``."""
    entries = {}
    for record in _git(["ls-tree", "-z", spec], location, deadline, timeout, cwd=repo).split(b"\0"):
        meta, _, name = record.partition(b"\t")
        if name:
            entries[name.decode("utf-8", "surrogateescape")] = meta.split()[1].decode("ascii", "replace")
    return entries


def _from_git(
    location: str,
    workdir: Path,
    detect_order: tuple[str, ...],
    companions: Callable[[str], tuple[str, ...]],
    timeout: float,
) -> Path:
    import time

    deadline = time.monotonic() + timeout
    url, revision, subdirectory = _parse_git(location)
    repo = workdir / "repo"

    def git(*args: str) -> bytes:
        return _git(list(args), location, deadline, timeout, cwd=repo)

    # "--": a URL starting with "-" is not an option.
    clone = ["clone", "--quiet", "--no-checkout", "--filter=blob:none", "--", url, str(repo)]
    _git(clone, location, deadline, timeout)
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").decode("ascii").strip()
    except _TimedOut:
        raise
    except BoundError as e:
        raise BoundError(location, f"no revision {revision!r} in the repository") from e
    folder, name = subdirectory, ""
    parent, _, leaf = subdirectory.rpartition("/")
    if leaf and _tree(repo, f"{commit}:{parent}", location, deadline, timeout).get(leaf) == "blob":
        folder, name = parent, leaf
    entries = {n for n, kind in _tree(repo, f"{commit}:{folder}", location, deadline, timeout).items()
               if kind == "blob"}  # fmt: skip
    if not name:
        name = next((n for n in detect_order if n in entries), "")
        if not name:
            raise BoundError(location, f"no bound file in {folder or 'the repository root'} at {revision}")
    out = workdir / "bound"
    out.mkdir()
    for file in (name, *companions(name)):
        if file in entries:
            path = f"{commit}:{folder}/{file}" if folder else f"{commit}:{file}"
            size = int(git("cat-file", "-s", path))
            if size > MAX_BYTES:
                shown = location if file == name else f"{location} ({file})"
                msg = f"is larger than {MAX_BYTES >> 20} MiB ({size} bytes), the most tether reads of a bound"
                msg += " file"
                raise BoundError(shown, msg)
            # Bytes: the reader says whether it is UTF-8, naming the file.
            (out / file).write_bytes(git("cat-file", "blob", path))
    return out / name


def workdir() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for a fetched bound, removed when the check is done."""
    import tempfile

    return tempfile.TemporaryDirectory(prefix="tether-bound-")
