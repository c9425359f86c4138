"""Helpers every bound reader shares: reading files, TOML, and turning PEP 508
requirements and URLs into expectations."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from tether.errors import DocumentError
from tether.models import Expectation, Source
from tether.sources._access import TOML, Table
from tether.sources._files import consult, exists, is_dir, read_text

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "SEEDED",
    "VCS_SCHEMES",
    "beside",
    "check_comparable",
    "expectation_from_requirement",
    "holds",
    "in_file",
    "load_lock_toml",
    "load_toml",
    "marker_holds",
    "path_from_file_url",
    "project_name_of",
    "read_text",
    "source_from_git_reference",
    "source_from_url",
]

VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")
#: virtualenv seeds these into the environments poetry and pipenv create, and neither
#: tool's sync removes them: they may be present without being locked.
SEEDED: frozenset[NormalizedName] = frozenset({NormalizedName("setuptools"), NormalizedName("wheel")})
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


@contextmanager
def in_file(display: str) -> Iterator[None]:
    """Name *display* on what a reader finds wrong in the file it reads in this block.

    Readers raise :class:`~tether.errors.DocumentError` (a message and a key or line);
    this is the one place that adds the file, as the user knows it. A nested file (an
    ``-r`` file, the ``pyproject.toml`` beside a lock) is read in a block of its own, so
    the file at fault is the one named; an error already naming its file passes through.

    :raises BoundError: for a :class:`~tether.errors.DocumentError` raised in the block.
    """
    try:
        yield
    except DocumentError as e:
        raise e.in_file(display) from e


def beside(display: str, name: str) -> str:
    """How to name the file *name* found beside the bound the user named *display*."""
    if display.startswith("git+"):
        return f"{display} ({name})"
    if display.startswith(("http://", "https://")):
        return f"{display.split('?', 1)[0].rsplit('/', 1)[0]}/{name}"
    return os.path.join(os.path.dirname(display), name)


#: What a document nested deeper than the parser's recursion allows is called.
TOO_DEEP = "too deeply nested"


def load_toml(text: str) -> Table:
    """Parse a TOML document, giving the line of a syntax error.

    :raises DocumentError: for invalid TOML, or TOML nested too deeply to parse.
    """
    try:
        return Table(tomllib.loads(text), "", TOML)
    except tomllib.TOMLDecodeError as e:
        # "Unterminated string (at line 5, column 10)" or "... (at end of document)".
        message, _, where = str(e).partition(" (at ")
        line: int | None = None
        if where.startswith("line "):
            line = int(where[5:].split(",", 1)[0])
        elif where.startswith("end of document"):
            line = text.count("\n") + 1
        raise DocumentError(f"invalid TOML: {message}", line=line) from e
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: [[[[...]]]] a few
        # hundred deep exhausts the stack. No lock is nested more than a few levels.
        raise DocumentError(TOO_DEEP) from None


def load_lock_toml(text: str, *, arrays: tuple[str, ...], lines: tuple[str, ...]) -> Table:
    """Parse a machine-written lock without its artifact lists, which tether never needs.

    The URLs and hashes of every wheel are most of a uv.lock or poetry.lock, and
    ``tomllib`` is pure Python: dropping them first (the top-level ``key = [`` ... ``]``
    blocks named in *arrays*, and the one-line entries starting with *lines*) makes
    parsing several times faster. Lock tools write these one way; whenever the slimmed
    text is not valid TOML, the untouched text is parsed, so errors name the real line.

    :raises DocumentError: for invalid TOML.
    """
    starts = tuple(f"{a} = [" for a in arrays)
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        if skipping:
            skipping = line.rstrip() != "]"
        elif line.startswith(lines) and lines:
            continue
        elif line.rstrip() in starts:
            skipping = True
        elif line.startswith(starts) and line.rstrip().endswith("]"):
            continue
        else:
            out.append(line)
    try:
        return load_toml("".join(out))
    except DocumentError:
        return load_toml(text)


def marker_holds(
    marker: str | None,
    env: dict[str, str],
    *,
    key: str | None = None,
    line: int | None = None,
    extras: Iterable[str] = (),
) -> bool:
    """Whether a lock's marker string holds for *env* (with no extra, or one of *extras*).

    ``None`` always holds.

    :raises DocumentError: if it is not a valid PEP 508 marker.
    """
    if marker is None:
        return True
    try:
        parsed = Marker(marker)
    except InvalidMarker as e:
        reason = str(e).splitlines()[0]
        raise DocumentError(f"invalid marker {marker!r}: {reason}", key=key, line=line) from e
    return any(holds(parsed, {**env, "extra": extra}, key=key, line=line) for extra in ("", *extras))


def holds(marker: Marker, env: dict[str, str], *, key: str | None = None, line: int | None = None) -> bool:
    """Whether a parsed marker holds for *env*.

    :raises DocumentError: when it compares what cannot be compared
        (``python_version ~= "abc"``).
    """
    try:
        return marker.evaluate(env)
    except ValueError as e:  # packaging's UndefinedComparison and UndefinedEnvironmentName
        raise DocumentError(f"cannot evaluate marker '{marker}': {str(e).splitlines()[0]}",
                            key=key, line=line) from e  # fmt: skip


def source_from_git_reference(reference: str) -> Source:
    """A ``git+URL?rev=REV&subdirectory=DIR#COMMIT`` reference, as uv.lock and pixi.lock
    write one (the ``git+`` prefix is optional: uv.lock leaves it out)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(reference.removeprefix("git+"))
    query = parse_qs(parts.query)
    revision = next((query[k][0] for k in ("rev", "tag", "branch") if k in query), None)
    return Source(
        kind="vcs",
        vcs="git",
        url=parts._replace(query="", fragment="").geturl(),
        revision=revision,
        commit=parts.fragment or None,
        subdirectory=query.get("subdirectory", [None])[0],
    )


def path_from_file_url(url: str) -> str:
    """The local path a ``file:`` URL names (any other URL is returned as is)."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file":
        return url
    # POSIX file URLs only carry a path; a netloc other than localhost is not local.
    return os.path.normpath(unquote(parts.path))


def project_name_of(directory: Path) -> NormalizedName:
    """The project name of a source tree, from ``pyproject.toml`` or ``setup.cfg``.

    :raises DocumentError: when neither names it.
    :raises BoundError: when its ``pyproject.toml`` cannot be read (naming that file).
    """
    pyproject = directory / "pyproject.toml"
    setup_cfg = directory / "setup.cfg"
    # Both are looked for, so both are what the answer depends on (see _files.consult).
    consult(setup_cfg)
    if exists(pyproject):
        with in_file(str(pyproject)):
            data = load_toml(read_text(pyproject))
            poetry = data.table("tool").table("poetry")
            name = data.table("project").get("name", str) or poetry.get("name", str)
        if name is not None:
            return canonicalize_name(name)
    if exists(setup_cfg):
        import configparser

        parser = configparser.ConfigParser()
        with in_file(str(setup_cfg)):
            text = read_text(setup_cfg)
        try:
            parser.read_string(text, source=str(setup_cfg))
            return canonicalize_name(parser["metadata"]["name"])
        except (KeyError, configparser.Error):
            pass
    msg = f"cannot tell the project name of {directory}; write it as 'name @ {directory.as_uri()}'"
    raise DocumentError(msg)


def source_from_url(url: str, base: Path, *, editable: bool = False) -> Source:
    """The source a direct reference names: a VCS URL, an archive or a local directory.

    Relative paths are taken from *base* (the bound's directory), as uv does.
    """
    from urllib.parse import urlsplit

    scheme = url.split("://", 1)[0] if "://" in url else ""
    if url.startswith(VCS_SCHEMES):
        vcs, _, rest = url.partition("+")
        parts = urlsplit(rest)
        path, revision = parts.path, None
        if "@" in path:
            path, revision = path.rsplit("@", 1)
        fragment = dict(p.split("=", 1) for p in parts.fragment.split("&") if "=" in p)
        repo = parts._replace(path=path, fragment="").geturl()
        return Source(
            kind="vcs",
            url=repo,
            vcs=vcs,
            revision=revision,
            commit=revision if revision and _is_commit(revision) else None,
            subdirectory=fragment.get("subdirectory"),
        )
    if scheme in {"", "file"}:
        local = Path(path_from_file_url(url) if scheme else url)
        if not local.is_absolute():
            local = base / local
        local = Path(os.path.normpath(local))
        if is_dir(local) or not local.name.endswith(_ARCHIVE_SUFFIXES):
            return Source(kind="directory", url=str(local), editable=editable)
        return Source(kind="url", url=local.as_uri())
    return Source(kind="url", url=url.split("#", 1)[0])


def _is_commit(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision.lower())


def name_from_url(url: str, source: Source, line: int | None) -> tuple[NormalizedName, str | None]:
    """The project name (and version, when the file name carries one) of a bare URL line.

    :raises DocumentError: when it cannot be told.
    """
    from urllib.parse import unquote, urlsplit

    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            return canonicalize_name(value.split("[", 1)[0]), None
    if source.kind == "directory":
        try:
            return project_name_of(Path(source.url)), None
        except DocumentError as e:
            raise DocumentError(e.message, line=line) from e
    filename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, str(version)
        name, version = parse_sdist_filename(filename)
        return name, str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    msg = f"cannot tell the project name of {url!r}; write it as 'name @ {url}'"
    raise DocumentError(msg, line=line)


def expectation_from_requirement(req: Requirement, *, origin: str, base: Path) -> Expectation:
    """An expectation from a PEP 508 requirement (``name[extra] ==1.0`` or ``name @ url``)."""
    source = source_from_url(req.url, base) if req.url else None
    return Expectation.from_requirement(req, origin=origin, source=source)


def pinned(exp: Expectation) -> bool:
    """Whether an expectation names one version (``==1.0``, ``===1.0``) or one artifact."""
    if exp.source is not None and exp.source.kind != "index":
        return True
    specs = list(exp.specifier)
    return len(specs) == 1 and specs[0].operator in {"==", "==="} and "*" not in specs[0].version


def exact(version: str) -> SpecifierSet:
    """The specifier that admits exactly *version* (``===`` for a non-PEP 440 one)."""
    from packaging.version import Version

    try:
        Version(version)
    except ValueError:  # InvalidVersion, or a number longer than int() reads
        return SpecifierSet(f"==={version}")
    return SpecifierSet(f"=={version}")


#: A version longer than this may hold a number ``int()`` refuses to read (4,300 digits).
_LONG_VERSION = 1000


def check_comparable(expectations: Iterable[Expectation]) -> None:
    """Refuse a version no comparison can read.

    ``packaging`` parses a release number with ``int()``, which refuses more than 4,300
    digits with a ``ValueError`` that is not an ``InvalidVersion``: raised later, where
    the environment is judged against the bound. No real version comes near.

    :raises BoundError: naming where the bound says so.
    """
    from packaging.version import InvalidVersion, Version

    from tether.errors import BoundError

    for exp in expectations:
        for spec in exp.specifier:
            if len(spec.version) <= _LONG_VERSION:
                continue
            try:
                Version(spec.version.removesuffix(".*"))
            except InvalidVersion:
                continue  # compared as a string (===), or refused as a specifier already
            except ValueError:
                shown = f"{spec.version[:20]}... ({len(spec.version)} characters)"
                raise BoundError(exp.origin, f"version {shown} has a number too long to compare") from None
