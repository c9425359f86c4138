"""Requirements files as pip, pip-compile, pip freeze and ``uv pip compile`` write them.

The grammar (pip's, less what does not bear on what is installed)::

    file         := logical-line*
    logical-line := physical lines joined where one ends in a backslash
    comment      := "#" at the start or after whitespace, to the end of the line
    line         := option | requirement [per-requirement-option ...]
    option       := ("-r" | "--requirement") FILE      # nested, relative to this file
                  | ("-c" | "--constraint") FILE       # versions only, adds no package
                  | ("-e" | "--editable") URL-or-PATH
                  | "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links"
                  | "--no-index" | "--pre" | "--trusted-host" | ... (read and ignored)
    requirement  := PEP 508 | URL | PATH               # ${VAR} expanded as pip does

What ``pip install -r`` would install for the target is what is expected: lines whose
marker is false for the target are dropped, and what the listed packages require (their
installed ``Requires-Dist``) may be installed too, since pip installs it. When every line
names one version (``==``) or one artifact (``pip freeze``, ``pip-compile``), that is all:
anything else installed is unexpected. When some line is a range, the requirements of
what is listed are followed and checked as ``pip check`` would (missing, or a version
outside the range).

Relative paths in requirement lines are taken from the file's directory (as uv does;
pip takes them from the working directory).
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources import _repair
from tether.sources._common import (
    VCS_SCHEMES,
    exact,
    expectation_from_requirement,
    holds,
    in_file,
    marker_holds,
    name_from_url,
    pinned,
    source_from_url,
)
from tether.sources._files import consult, getenv, is_volatile, read_text, realpath

if TYPE_CHECKING:
    from collections.abc import Iterator

    from packaging.specifiers import SpecifierSet

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["RequirementsReader"]

# pip's own rule: ${NAME} with upper-case letters, digits and underscores only.
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
#: Left out of requirements files by ``pip freeze`` (below Python 3.12) and by
#: ``pip-compile`` (as "unsafe"), so present without being listed.
_BOOTSTRAP: frozenset[NormalizedName] = frozenset(
    NormalizedName(n) for n in ("setuptools", "wheel", "distribute")
)
_IGNORED_OPTIONS = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--use-feature",
    "--no-index",
    "--pre",
    "--require-hashes",
    "--no-deps",
    "--progress-bar",
    "--config-settings",
}
_REQ_OPTIONS = ("--hash", "--config-settings", "--global-option", "--install-option")


def _expand(match: re.Match[str]) -> str:
    """``${NAME}``'s value, or the text as written when it is unset (as pip leaves it)."""
    value = getenv(match.group(1))
    return match.group(0) if value is None else value


def _strip_comment(line: str) -> str:
    """*line* without its comment: from a ``#`` at the start or after whitespace.

    pip's ``(^|\\s+)#.*$`` substitution, without its regular expression, which takes
    quadratic time on a long run of whitespace.
    """
    at = line.find("#")
    while at != -1:
        if at == 0 or line[at - 1].isspace():
            return line[:at].rstrip()
        at = line.find("#", at + 1)
    return line


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first physical line number, logical line)`` with comments stripped.

    A line ending in ``\\`` continues on the next; a comment starts at ``#`` at the
    start of a line or after whitespace.
    """
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = " ".join(part.strip() for part in buffer).strip()
        buffer = []
        if joined:
            yield start, joined
    if buffer:
        joined = " ".join(part.strip() for part in buffer).strip()
        if joined:
            yield start, joined


def _split_option(line: str) -> tuple[str, str]:
    """Split ``-r file``, ``-rfile`` or ``--requirement=file`` into option and value."""
    if line.startswith("--"):
        option, sep, value = line.partition("=")
        if not sep:
            option, _, value = line.partition(" ")
        return option.strip(), value.strip()
    if len(line) > 2 and line[2] not in " =":
        return line[:2], line[2:].strip()
    return line[:2], line[2:].lstrip(" =").strip()


def _requirement_part(line: str) -> str:
    """Drop per-requirement options (``--hash=...``) that follow the requirement."""
    words = line.split(" ")
    for i, word in enumerate(words):
        if word.startswith(_REQ_OPTIONS):
            return " ".join(words[:i]).strip()
    return line


@dataclass(slots=True)
class _File:
    """One file being parsed: where it is, how it is named, and the lines left to read."""

    path: Path
    display: str
    constraint: bool
    #: Where its relative paths are taken from.
    base: Path
    #: Its identity: its directory's real path and its name (see :meth:`_Parser.identity`).
    identity: str
    lines: Iterator[tuple[int, str]]


class _Parser:
    """One parse of a top-level file with its nested files.

    The include graph is walked depth first without recursion (a chain of thousands of
    ``-r`` files is as deep as it is long), in pip's order. A file is read once, and
    parsed at most once as requirements and once as constraints: a file included from
    many files (``-r common.txt`` everywhere) adds what it adds once, where a walk that
    reparsed it at each mention would take exponential time.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.expectations: list[Expectation] = []
        self.constraints: dict[NormalizedName, SpecifierSet] = {}
        self.header = ""
        self.files: list[str] = []
        self.texts: dict[str, str] = {}
        self.parsed: set[tuple[str, bool]] = set()

    @staticmethod
    def identity(path: Path) -> str:
        """Which file *path* is, for this parse: its directory's real path and its name.

        Two names of one file in one real directory read the same relative paths alike,
        so what one adds the other adds too. (A file's inode would merge two links from
        different directories, whose relative includes differ.)
        """
        return os.path.join(realpath(path.parent), path.name)

    def parse(self, path: Path, display: str, text: str) -> None:
        """Parse the top-level file (*text*, already read) and every file it includes;
        what is wrong in one is raised naming it."""
        # A pipe (--lock /dev/stdin) has no directory of its own: its relative paths are
        # taken from the working directory, as pip takes them.
        base = Path.cwd() if is_volatile(path) else path.parent
        top = self._open(path, display, constraint=False, base=base, text=text)
        stack = [top]
        active = {top.identity}
        while stack:
            current = stack[-1]
            item = next(current.lines, None)
            if item is None:
                stack.pop()
                active.discard(current.identity)
                continue
            number, line = item
            with in_file(current.display):
                nested = self._line(current, number, line)
            if nested is None:
                continue
            path, shown, constraint = nested
            with in_file(shown):
                identity = self.identity(path)
                if identity in active:
                    raise DocumentError("includes itself (a cycle of -r/-c files)")
                # Looked at even when parsed already: through another name, a link
                # switched later would read another file.
                consult(path)
                if (identity, constraint) in self.parsed:
                    continue
                child = self._open(path, shown, constraint=constraint, base=path.parent, identity=identity)
            stack.append(child)
            active.add(identity)

    def _open(self, path: Path, display: str, *, constraint: bool, base: Path, text: str | None = None,
              identity: str | None = None) -> _File:  # fmt: skip
        identity = identity or self.identity(path)
        if text is None:
            text = self.texts.get(identity)
        if text is None:
            text = read_text(path)
        self.texts[identity] = text
        self.parsed.add((identity, constraint))
        if not self.header:
            self.header = text[:400]
        self.files.append(str(path))
        return _File(path=path, display=display, constraint=constraint, base=base, identity=identity,
                     lines=_logical_lines(text))  # fmt: skip

    def _line(self, file: _File, number: int, line: str) -> tuple[Path, str, bool] | None:
        """Read one logical line; an include is returned (its path, how it is shown,
        whether as constraints) for the walk to open."""
        line = _ENV_VAR.sub(_expand, line)
        if not line.startswith("-"):
            self._requirement(line, file.base, file.display, number, constraint=file.constraint)
            return None
        option, value = _split_option(line)
        if option in {"-r", "--requirement", "-c", "--constraint"}:
            if not value:
                raise DocumentError(f"{option} needs a file name", line=number)
            shown = os.path.join(os.path.dirname(file.display), value)
            return file.base / value, shown, file.constraint or option in {"-c", "--constraint"}
        if option in {"-e", "--editable"}:
            if not value:
                raise DocumentError(f"{option} needs a path or URL", line=number)
            self._direct(value.split()[0].strip("'\""), file.base, file.display, number, editable=True,
                         constraint=file.constraint)  # fmt: skip
        elif option not in _IGNORED_OPTIONS:
            raise DocumentError(f"unknown option {option!r}", line=number)
        return None

    def _direct(
        self,
        url: str,
        base: Path,
        display: str,
        number: int,
        *,
        editable: bool,
        constraint: bool,
        marker_ok: bool = True,
    ) -> None:
        extras: frozenset[NormalizedName] = frozenset()
        if url.endswith("]") and "[" in url and "://" not in url:
            # A local path with extras, as pip takes it: `-e .[dev]`, `./pkg[a,b]`.
            url, _, wanted = url[:-1].rpartition("[")
            extras = frozenset(canonicalize_name(e.strip()) for e in wanted.split(",") if e.strip())
        source = source_from_url(url, base, editable=editable)
        name, version = name_from_url(url, source, number)
        if constraint or not marker_ok:
            return
        from packaging.specifiers import SpecifierSet

        self.expectations.append(
            Expectation(
                name=name,
                specifier=exact(version) if version else SpecifierSet(),
                source=source,
                extras=extras,
                origin=f"{display}:{number}",
            )
        )

    def _requirement(self, line: str, base: Path, display: str, number: int, *, constraint: bool) -> None:
        text = _requirement_part(line)
        looks_like_url = text.startswith((*VCS_SCHEMES, "http://", "https://", "file:")) or (
            text.startswith((".", "/")) and "@" not in text.split(";")[0]
        )
        if looks_like_url:
            url, _, marker = text.partition(";")
            ok = True
            if marker.strip():
                ok = marker_holds(marker.strip(), self.target.marker_env(), line=number)
            self._direct(
                url.strip(), base, display, number, editable=False, constraint=constraint, marker_ok=ok
            )
            return
        try:
            req = Requirement(text)
        except InvalidRequirement as e:
            reason = str(e).splitlines()[0]
            raise DocumentError(f"invalid requirement {text!r}: {reason}", line=number) from e
        if req.marker is not None and not holds(req.marker, self.target.marker_env(), line=number):
            return
        if constraint:
            name = canonicalize_name(req.name)
            prior = self.constraints.get(name)
            self.constraints[name] = req.specifier if prior is None else prior & req.specifier
            return
        exp = expectation_from_requirement(req, origin=f"{display}:{number}", base=base)
        if exp.source is None and pinned(exp):
            # A pin without a URL is installed from an index: an editable or direct-URL
            # install of that version is not what the file asks for (uv pip sync would
            # replace it).
            exp = replace(exp, source=Source(kind="index"))
        self.expectations.append(exp)


def _repairs(header: str, display: str, target: Target) -> tuple[str, str]:
    """The repair command and the strays command: the tool that wrote the file syncs the
    target to it (removing the rest); pip installs what it names, then uninstalls the rest."""
    if "uv pip compile" in header or "autogenerated by uv" in header:
        return f"uv pip sync --python {_repair.python(target)} {shlex.quote(display)}", ""
    if "pip-compile" in header:
        return f"pip-sync --python-executable {_repair.python(target)} {shlex.quote(display)}", ""
    return _repair.pip(target, "install", "-r", shlex.quote(display)), _repair.pip_uninstall(target)


class RequirementsReader:
    """``requirements.txt`` and friends (any file no other reader claims)."""

    format = "requirements"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Parse a requirements file and the files it includes."""
        parser = _Parser(target)
        parser.parse(path, display, text)
        expectations = []
        for exp in parser.expectations:
            limit = parser.constraints.get(exp.name)
            if limit is not None:
                exp = Expectation(
                    name=exp.name,
                    specifier=exp.specifier & limit,
                    source=exp.source,
                    extras=exp.extras,
                    origin=exp.origin,
                )
            expectations.append(exp)
        repair, strays = _repairs(parser.header, display, target)
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            follows=True,
            allowed=_BOOTSTRAP,
            repair=repair,
            repair_strays=strays,
            files=tuple(dict.fromkeys(parser.files)),
        )
