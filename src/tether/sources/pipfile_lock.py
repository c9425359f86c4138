"""``Pipfile.lock``: what ``pipenv sync`` installs for the target interpreter.

``pipenv sync`` installs the ``default`` category; ``pipenv sync --dev`` adds
``develop`` (here ``--group develop``, or ``--group dev``); other categories are named
with ``--group`` (pipenv's ``--categories``), and ``--only-group`` installs only those.
Each entry's ``markers`` (pipenv writes the dependency's own ``requires-python`` into
them) are evaluated for the target. An entry pipenv left unpinned (``"version": "*"``,
because its marker was false where it locked) is expected at any version where its
marker holds. ``git``/``ref``, ``path`` (``editable``) and ``file`` entries are compared
with ``direct_url.json``. ``_meta.pipfile-spec`` 6 is read; another is refused.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources import _repair, staleness
from tether.sources._access import JSON, Table
from tether.sources._common import SEEDED, TOO_DEEP, beside, load_toml, marker_holds
from tether.sources._files import exists, read_text, realpath

if TYPE_CHECKING:
    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PipfileLockReader"]

SPEC = 6
#: What pipenv's options call its categories (``--dev`` is ``develop``).
_ALIASES = {"dev": "develop", "packages": "default", "dev-packages": "develop"}


def _source(entry: Table, base: Path) -> Source:
    git = entry.get("git", str)
    if git is not None:
        ref = entry.get("ref", str)
        return Source(
            kind="vcs",
            vcs="git",
            url=git.removeprefix("git+"),
            revision=ref,
            commit=ref if ref and len(ref) == 40 else None,
            subdirectory=entry.get("subdirectory", str),
        )
    local = entry.get("path", str)
    if local is not None:
        path = Path(realpath(base / local))
        if path.suffix in {".whl", ".gz", ".zip"}:
            return Source(kind="url", url=path.as_uri())
        return Source(kind="directory", url=str(path), editable=entry.get("editable", bool) or False)
    file = entry.get("file", str)
    if file is not None:
        return Source(kind="url", url=file)
    return Source(kind="index")


def _expectation(
    entry: Table, name: str, *, env: dict[str, str], base: Path, display: str
) -> Expectation | None:
    """One entry, or ``None`` when its marker is false for the target."""
    if not marker_holds(entry.get("markers", str) or None, env, key=entry.key("markers")):
        return None
    version = entry.get("version", str)
    if version is None and not any(k in entry for k in ("git", "path", "file")):
        raise entry.error("a package listed with no version and no source")
    try:
        specifier = SpecifierSet("" if version in {None, "*"} else version)
    except InvalidSpecifier as e:
        raise entry.error(f"invalid version {version!r}", "version") from e
    return Expectation(
        name=canonicalize_name(name),
        specifier=specifier,
        source=_source(entry, base),
        extras=frozenset(canonicalize_name(e) for e in entry.strings("extras")),
        origin=f"{display}: {entry.path}",
    )


def _load(text: str) -> Table:
    """Parse the JSON document, which must be an object with a ``_meta`` object.

    :raises DocumentError: for invalid JSON, or JSON of another shape.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise DocumentError(f"invalid JSON: {e.msg}", line=e.lineno) from e
    except RecursionError:
        # json's C scanner recurses once per nested array or object.
        raise DocumentError(TOO_DEEP) from None
    if not isinstance(document, dict) or not isinstance(document.get("_meta"), dict):
        raise DocumentError("expected a JSON object with a '_meta' table (a Pipfile.lock)")
    return Table(document, "", JSON)


def _staleness(data: Table, pipfile: Path, shown: str, notes: list[str]) -> str:
    """Why the lock is stale against the Pipfile beside it (``pipenv verify``), ``""`` when
    it is not, there is no Pipfile, or it cannot be told (said in *notes*)."""
    if not exists(pipfile):
        return ""
    try:
        try:
            document = load_toml(read_text(pipfile)).data
        except DocumentError as e:
            raise staleness.Undecidable(str(e)) from e
        return staleness.pipfile_lock(data.data, document, shown)
    except staleness.Undecidable as e:
        notes.append(f"{shown}: whether the lock matches it was not checked ({e})")
        return ""


def _chosen(data: Table, selection: Selection) -> list[str]:
    """The categories *selection* asks for, in the order pipenv installs them.

    :raises DocumentError: for a category the lock does not have.
    """

    def category(name: str) -> str:
        return _ALIASES.get(name, name)

    if selection.only_groups:
        chosen = [category(g) for g in selection.only_groups]
    else:
        chosen = ["default", *(category(g) for g in selection.groups)]
    chosen = [c for c in chosen if c not in {category(g) for g in selection.without_groups}]
    for c in chosen:
        if c not in data:
            available = ", ".join(k for k in data.data if k != "_meta")
            raise DocumentError(f"no category {c!r} (it has: {available})")
    return chosen


class PipfileLockReader:
    """``Pipfile.lock`` (``pipfile-spec`` 6)."""

    format = "Pipfile.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Select the categories ``pipenv sync`` would install on *target*."""
        data = _load(text)
        meta = data.table("_meta")
        spec = meta.required("pipfile-spec", int)
        if spec != SPEC:
            msg = f"pipfile-spec {spec!r} is not supported; expected {SPEC}"
            raise meta.error(msg, "pipfile-spec")

        chosen = _chosen(data, selection)
        env = target.marker_env()
        expectations: dict[str, Expectation] = {}
        base = path.parent
        for cat in chosen:
            entries = data.table(cat)
            for name, raw in entries.items():
                exp = _expectation(entries.sub(name, raw), name, env=env, base=base, display=display)
                if exp is not None and exp.name not in expectations:
                    # The first category wins, as pipenv installs default first.
                    expectations[exp.name] = exp
        flags = []
        if "develop" in chosen and not selection.only_groups:
            flags.append("--dev")
        others = [c for c in chosen if c not in {"default", "develop"}]
        if others or selection.only_groups:
            flags.append(f"--categories {shlex.quote(','.join(chosen))}")
        env_var = _repair.in_environment("VIRTUAL_ENV", target, path.parent)
        notes: list[str] = []
        stale = _staleness(data, path.parent / "Pipfile", beside(display, "Pipfile"), notes)
        # pipenv sync leaves what the lock does not name; pipenv clean removes it, but
        # keeps whatever any category of the lock names, chosen or not: where an unchosen
        # category lists packages, the target's pip removes the strays by name.
        unchosen = [k for k, v in data.data.items() if k != "_meta" and k not in chosen and v]
        strays = _repair.pip_uninstall(target) if unchosen else env_var + "pipenv clean"
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations.values()),
            allowed=SEEDED,
            repair=env_var + " ".join(["pipenv sync", *flags]),
            repair_strays=strays,
            # The Pipfile even when absent: creating one is a change of what is checked.
            files=(str(path), str(path.parent / "Pipfile")),
            notes=tuple(notes),
            stale=stale,
            relock="pipenv lock",
        )
