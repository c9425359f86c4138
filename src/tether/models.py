"""The records every part of tether shares: sources, expectations, bounds, installed
distributions and validation records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tether.hook._startup_recheck import normalize_url, source_differs

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import NormalizedName
    from packaging.version import Version

__all__ = [
    "STATUSES",
    "Bound",
    "CondaRecord",
    "Expectation",
    "Follow",
    "Installed",
    "InstalledDist",
    "Leftover",
    "Record",
    "Source",
    "SourceKind",
    "Status",
    "describe_expectation",
]

SourceKind = Literal["index", "url", "vcs", "directory"]
Follow = Literal["none", "allow", "check"]

Status = Literal["missing", "mismatch", "unexpected", "duplicate", "shadowed", "invalid", "leftover"]
#: Every record status, in the order reports list them.
STATUSES: tuple[Status, ...] = (
    "missing",
    "mismatch",
    "unexpected",
    "duplicate",
    "shadowed",
    "invalid",
    "leftover",
)


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

    def hook_key(self) -> tuple[str | bool, ...]:
        """The tuple the start-up hook compares with an installed ``direct_url.json``.

        See ``installed_source()`` and ``source_differs()`` in :mod:`tether.hook._startup`.
        """
        if self.kind == "index":
            return ()
        if self.kind == "vcs":
            return ("vcs", self.vcs or "git", normalize_url(self.url), self.commit or self.revision or "")
        if self.kind == "directory":
            return ("dir", self.url, self.editable)
        return ("url", normalize_url(self.url))

    def installed_key(self) -> tuple[str | bool, ...]:
        """This (installed) source as ``installed_source()`` in the hook reads it from
        ``direct_url.json``: for VCS, the commit and the requested revision both."""
        if self.kind == "vcs":
            return ("vcs", self.vcs or "git", normalize_url(self.url), self.commit or "", self.revision or "")
        return self.hook_key()

    def mismatch(self, installed: Source | None) -> str | None:
        """Why *installed* does not satisfy this (expected) source, or ``None`` if it does.

        Whether it does is decided by the start-up hook's ``source_differs()``, so that
        ``validate`` and the hook can never disagree; this method only words the reason.
        """
        got = installed or Source(kind="index")
        if not source_differs(self.hook_key(), got.installed_key()):
            return None
        if self.kind == "vcs" and got.kind == "vcs" and normalize_url(self.url) == normalize_url(got.url):
            if self.commit:
                return f"installed commit {got.commit}, expected {self.commit}"
            return f"installed revision {got.revision or got.commit}, expected {self.revision}"
        if self.kind == "directory" and got.kind == "directory" and self.url == got.url:
            mode = "editable" if got.editable else "non-editable"
            return f"installed {mode} from {got.url}"
        return f"installed from {got.describe()}, expected {self.describe()}"


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


def describe_expectation(exp: Expectation) -> str:
    """The expected version (and a non-index source) in a short human form."""
    specs = list(exp.specifier)
    if len(specs) == 1 and specs[0].operator in {"==", "==="}:
        text = specs[0].version
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
    #: How far installed ``Requires-Dist`` metadata is followed from what the bound names:
    #: ``none`` for a lock that lists every package to install; ``allow`` for a list of
    #: pins that may leave transitive dependencies out (``pip install -r`` installs them):
    #: what the pins require may be present; ``check`` for ranges (a pyproject): what
    #: they require must be present and satisfy the requirement, as ``pip check`` says.
    follow: Follow
    #: Packages that may be present without being listed (``pip freeze`` and
    #: ``pip-compile`` leave setuptools and wheel out of their files).
    tolerated: frozenset[NormalizedName] = frozenset()
    #: Packages that may be present and need not be (the project itself, for a pyproject).
    allowed: frozenset[NormalizedName] = frozenset()
    #: The command that brings the environment back in line with this bound.
    repair: str = ""
    #: Every local file the bound was read from (nested and companion files included).
    files: tuple[str, ...] = ()
    #: Things the user should know about how the bound was read (an assumed default).
    notes: tuple[str, ...] = ()
    #: Conda packages (pixi.lock), checked against the environment's ``conda-meta``.
    conda: tuple[Expectation, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class InstalledDist:
    """One ``.dist-info`` or ``.egg-info`` found in a site directory."""

    name: NormalizedName
    #: ``None`` when the metadata has no (valid) version.
    version: Version | None
    #: The version as written, for messages.
    raw_version: str
    #: The metadata directory (or file, for a legacy ``.egg-info`` file).
    path: str
    site: str
    #: From PEP 610 ``direct_url.json``; ``None`` for a registry install.
    source: Source | None = None
    #: ``Requires-Dist``, read only when asked for.
    requires: tuple[Requirement, ...] = ()
    #: What is wrong with the metadata, if anything.
    problem: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Leftover:
    """A ``~``-prefixed entry pip leaves behind when an uninstall or upgrade is interrupted."""

    name: str
    path: str
    site: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CondaRecord:
    """One ``conda-meta/*.json`` record of a conda environment."""

    name: NormalizedName
    version: str
    #: The record file.
    path: str
    #: The ``.dist-info`` folders (absolute paths) this package installed.
    owns: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class Installed:
    """Everything found in the target's site directories, in import order."""

    sites: tuple[str, ...]
    dists: tuple[InstalledDist, ...]
    leftovers: tuple[Leftover, ...] = ()
    #: conda-meta records, read only for a bound with conda packages.
    conda: tuple[CondaRecord, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Record:
    """One finding of a validation.

    A single record type with a closed ``status`` vocabulary (rather than one class per
    finding) because the JSON contract has one shape for all of them.
    """

    name: str
    status: Status
    #: The installed version, or ``None``.
    installed: str | None
    #: The expected version (or range, with a source when not an index), or ``None``.
    expected: str | None
    #: The site directories where the package was found.
    sites: tuple[str, ...] = ()
    #: One line of explanation: a source difference, a metadata problem.
    detail: str = ""
    #: Where the bound asks for it.
    origin: str = field(default="", compare=False)
