"""The records every part of tether shares: sources, expectations, bounds and the
installed inventory (validation records are in :mod:`tether.report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tether.runtime.metadata import normalize_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName

    from tether.runtime.scan import CondaPackage, Dist, Leftover

__all__ = [
    "Bound",
    "Expectation",
    "Installed",
    "Source",
    "SourceKind",
    "describe_expectation",
]

SourceKind = Literal["index", "url", "vcs", "directory"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Source:
    """Where a distribution comes from, as a bound demands it or as PEP 610 records it.

    ``index`` is a registry install (no ``direct_url.json``); the other kinds mirror PEP
    610's ``archive_info`` (``url``), ``vcs_info`` and ``dir_info``.
    """

    kind: SourceKind
    #: An archive URL, a repository URL (without the ``git+`` prefix) or a directory path.
    url: str = ""
    #: The VCS (``git``, ``hg``, ...), for ``vcs``.
    vcs: str | None = None
    #: The revision a user asked for (branch, tag or commit), for ``vcs``.
    revision: str | None = None
    #: The resolved commit, for ``vcs``.
    commit: str | None = None
    #: Installed in editable mode, for ``directory``.
    editable: bool = False
    #: A subdirectory within the archive or repository.
    subdirectory: str | None = None

    def describe(self) -> str:
        """A short human form: ``index``, ``git+URL@commit``, ``/path (editable)``."""
        if self.kind == "index":
            return "index"
        if self.kind == "vcs":
            rev = self.commit or self.revision
            return f"{self.vcs}+{self.url}" + (f"@{rev}" if rev else "")
        if self.kind == "directory":
            return self.url + (" (editable)" if self.editable else "")
        return self.url

    def key(self) -> tuple[str | bool, ...]:
        """This (expected) source as a source key of :mod:`tether.runtime.metadata`, the
        form the one comparison (:func:`tether.runtime.compare.compare`) takes."""
        if self.kind == "index":
            return ()
        if self.kind == "vcs":
            return ("vcs", self.vcs or "git", normalize_url(self.url), self.commit or self.revision or "")
        if self.kind == "directory":
            return ("dir", self.url, self.editable)
        return ("url", normalize_url(self.url))


@dataclass(frozen=True, kw_only=True, slots=True)
class Expectation:
    """One package a bound wants installed in the target environment."""

    name: NormalizedName
    #: The versions allowed; a lock pins one (``==1.2.3``), a pyproject gives a range.
    specifier: SpecifierSet
    #: Where it must come from; ``None`` accepts any source.
    source: Source | None = None
    #: The extras asked for, followed when a bound lists only direct dependencies.
    extras: frozenset[NormalizedName] = frozenset()
    #: Where the bound says so, for messages: ``requirements.txt:12``.
    origin: str = ""

    @classmethod
    def from_requirement(cls, req: Requirement, *, origin: str, source: Source | None = None) -> Expectation:
        """The expectation a PEP 508 requirement states: its name and extras normalised
        (PEP 503, PEP 685), so ``Foo[Bar_Baz]`` asks for ``foo`` with ``bar-baz`` wherever
        it is written (a bound, ``Requires-Dist``, a poetry project's groups). Every
        dependency built from a ``Requirement`` is built here; its marker is the caller's
        to evaluate, and *source* is where its URL (if any) points, which only the caller
        can resolve (relative to the bound)."""
        from packaging.utils import canonicalize_name

        return cls(
            name=canonicalize_name(req.name),
            specifier=req.specifier,
            source=source,
            extras=frozenset(canonicalize_name(e) for e in req.extras),
            origin=origin,
        )


def describe_expectation(exp: Expectation) -> str:
    """The expected version (and a non-index source) in a short human form."""
    specs = list(exp.specifier)
    pins = [s for s in specs if s.operator in {"==", "==="} and not s.version.endswith(".*")]
    if len(pins) == 1 and exp.specifier.contains(pins[0].version, prereleases=True):
        # A pin, possibly with ranges it satisfies (a pinned package others require).
        text = pins[0].version
    else:
        text = str(exp.specifier) or "*"
    if exp.source is not None and exp.source.kind != "index":
        text += f" ({exp.source.describe()})"
    return text


@dataclass(frozen=True, kw_only=True, slots=True)
class Bound:
    """What a bound file demands of an environment, for one target interpreter.

    Construct it through a reader in :mod:`tether.sources`.
    """

    #: The file (or URL) as the user named it.
    path: str
    #: The format name: ``requirements``, ``pyproject``, ``pylock``, ``uv.lock``, ...
    format: str
    expectations: tuple[Expectation, ...]
    #: Whether installed ``Requires-Dist`` is followed from what the bound names: false for
    #: a lock, which lists every package to install; true for a requirements file or a
    #: pyproject, whose entries ``pip install`` completes with what they require (which
    #: must then be present and satisfy the requirement, as ``pip check`` says).
    follows: bool = False
    #: Packages that may be present without being listed: the project itself, for a
    #: pyproject; the seed packages ``pip freeze`` and ``pip-compile`` leave out of their
    #: files (setuptools, wheel) or that virtualenv seeds where poetry and pipenv sync.
    allowed: frozenset[NormalizedName] = frozenset()
    #: The command that brings the environment back in line with this bound, run in the
    #: bound's directory; it names this target's interpreter where the tool takes one.
    repair: str = ""
    #: The command that removes packages the bound does not name, where :attr:`repair`
    #: leaves them installed (``pip install -r``, ``pipenv sync``), ``{names}`` standing
    #: for them; empty when :attr:`repair` removes them itself. Reports print both
    #: together (:func:`tether.runtime.compare.repair_command`).
    repair_strays: str = ""
    #: Every local file the bound was read from (nested and companion files included),
    #: and every companion it looked for and did not find: creating one is a change.
    files: tuple[str, ...] = ()
    #: The environment variables its reading consulted (``${VAR}`` in a requirements
    #: file), each with its value then (``None``: unset): the answer holds while they do.
    environ: tuple[tuple[str, str | None], ...] = ()
    #: The paths auto-detection looked at in the directories it searched (every bound
    #: name and ``.git``, in the working directory and its parents up to the bound's):
    #: one of them appearing or going may change which bound is found.
    searched: tuple[str, ...] = ()
    #: Things the user should know about how the bound was read (an assumed default).
    notes: tuple[str, ...] = ()
    #: Conda packages (pixi.lock), checked against the environment's ``conda-meta``.
    conda: tuple[Expectation, ...] = ()
    #: Why the lock no longer matches the project file beside it, naming that file
    #: (:mod:`tether.sources.staleness`); empty when it does or when that was not checked.
    stale: str = ""
    #: The tool's own re-lock command (``uv lock``), run in the bound's directory.
    relock: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Installed:
    """Everything found in the target's site directories, in import order: the
    inventory a report carries.

    The distributions are :class:`tether.runtime.scan.Dist` records, read by the same
    scan that the start-up check runs.
    """

    sites: tuple[str, ...]
    dists: tuple[Dist, ...]
    leftovers: tuple[Leftover, ...] = ()
    #: conda-meta records, read only for a bound with conda packages.
    conda: tuple[CondaPackage, ...] = ()
    #: ``Requires-Dist`` by metadata path, read only when a bound follows it.
    requires: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
