"""Bounds that live elsewhere: an HTTP(S) URL, or a git repository at a revision.

``--lock https://host/path/uv.lock`` downloads the file (and, for the formats that need
one, the ``pyproject.toml`` beside it, when the server has it) into a temporary folder.
Proxies come from the usual ``*_proxy`` variables and certificates from the system store
or ``SSL_CERT_FILE``, as urllib does; ``--timeout`` bounds every request.

``--lock git+URL[@REV][#subdirectory=PATH]`` (``git+https://``, ``git+ssh://``,
``git+file:///path`` or ``git+/local/path``) reads the bound from the repository at
``REV`` (default ``HEAD``) without checking anything out: PATH names the file, or a
folder in which the bound is found by the same order as auto-detection. The companion
files its format reads (``pyproject.toml``) are read from the same revision.

Which names are looked for and which companions a format has come from
``tether.sources.FORMATS``, passed in by the caller.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tether.errors import BoundError

if TYPE_CHECKING:
    import tempfile
    from collections.abc import Callable, Iterator
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
    :raises BoundError: when it cannot be had, naming the location and the reason.
    """
    if location.startswith("git+"):
        return _from_git(location, workdir, detect_order, companions, timeout)
    return _from_http(location, workdir, companions, timeout)


def _get(url: str, timeout: float) -> bytes:
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)
    request = urllib.request.Request(url, headers={"User-Agent": "tether"})  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
            data: bytes = response.read()
            return data
    except urllib.error.HTTPError as e:
        raise BoundError(url, f"HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise BoundError(url, f"timed out after {timeout:g} s") from e
        raise BoundError(url, f"cannot reach it ({e.reason})") from e
    except TimeoutError as e:
        raise BoundError(url, f"timed out after {timeout:g} s") from e
    except OSError as e:
        raise BoundError(url, f"cannot reach it ({e})") from e


def _from_http(url: str, workdir: Path, companions: Callable[[str], tuple[str, ...]], timeout: float) -> Path:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise BoundError(url, "names no file; expected a URL ending in the bound's file name")
    target = workdir / name
    target.write_bytes(_get(url, timeout))
    base = url.split("?", 1)[0].rsplit("/", 1)[0]
    for companion in companions(name):
        try:
            (workdir / companion).write_bytes(_get(f"{base}/{companion}", timeout))
        except BoundError:
            continue  # the reader says what it assumed without it
    return target


def _parse_git(location: str) -> tuple[str, str, str]:
    """Split ``git+URL@REV#subdirectory=PATH`` into URL, REV and PATH."""
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


def _git(args: list[str], location: str, timeout: float, cwd: Path | None = None) -> str:
    import subprocess

    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except FileNotFoundError as e:
        raise BoundError(location, "git is not installed; it is needed for git+ bounds") from e
    except subprocess.TimeoutExpired as e:
        raise BoundError(location, f"git timed out after {timeout:g} s") from e
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise BoundError(location, f"git {args[0]}: {last}")
    return proc.stdout


def _tree(repo: Path, revision: str, folder: str, location: str, timeout: float) -> Iterator[tuple[str, str]]:
    """(type, name) of the entries of *folder* at *revision*."""
    spec = f"{revision}:{folder}" if folder else f"{revision}:"
    for line in _git(["ls-tree", spec], location, timeout, cwd=repo).splitlines():
        meta, _, name = line.partition("\t")
        yield meta.split()[1], name


def _from_git(
    location: str,
    workdir: Path,
    detect_order: tuple[str, ...],
    companions: Callable[[str], tuple[str, ...]],
    timeout: float,
) -> Path:
    url, revision, subdirectory = _parse_git(location)
    repo = workdir / "repo"
    _git(["clone", "--quiet", "--no-checkout", "--filter=blob:none", url, str(repo)], location, timeout)
    try:
        commit = _git(
            ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], location, timeout, cwd=repo
        )
    except BoundError as e:
        raise BoundError(location, f"no revision {revision!r} in the repository") from e
    commit = commit.strip()
    folder, name = subdirectory, ""
    parent, _, leaf = subdirectory.rpartition("/")
    if leaf and any(
        kind == "blob" and n == leaf for kind, n in _tree(repo, commit, parent, location, timeout)
    ):
        folder, name = parent, leaf
    entries = {n for kind, n in _tree(repo, commit, folder, location, timeout) if kind == "blob"}
    if not name:
        name = next((n for n in detect_order if n in entries), "")
        if not name:
            raise BoundError(location, f"no bound file in {folder or 'the repository root'} at {revision}")
    out = workdir / "bound"
    out.mkdir()
    for file in (name, *companions(name)):
        if file in entries:
            path = f"{folder}/{file}" if folder else file
            (out / file).write_text(_git(["show", f"{commit}:{path}"], location, timeout, cwd=repo))
    return out / name


def workdir() -> tempfile.TemporaryDirectory[str]:
    """A temporary folder for a fetched bound, removed when the check is done."""
    import tempfile

    return tempfile.TemporaryDirectory(prefix="tether-bound-")
