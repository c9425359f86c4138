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
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from tether.errors import BoundError
from tether.models import Bound, Expectation, Source
from tether.sources._common import SEEDED, marker_holds

if TYPE_CHECKING:
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PipfileLockReader"]

SPEC = 6


def _source(entry: dict[str, Any], base: Path) -> Source:
    if "git" in entry:
        ref = entry.get("ref")
        return Source(
            kind="vcs",
            vcs="git",
            url=str(entry["git"]).removeprefix("git+"),
            revision=ref,
            commit=ref if ref and len(ref) == 40 else None,
            subdirectory=entry.get("subdirectory"),
        )
    if "path" in entry:
        path = (base / str(entry["path"])).resolve()
        if path.suffix in {".whl", ".gz", ".zip"}:
            return Source(kind="url", url=path.as_uri())
        return Source(kind="directory", url=str(path), editable=bool(entry.get("editable", False)))
    if "file" in entry:
        return Source(kind="url", url=str(entry["file"]))
    return Source(kind="index")


def _expectation(
    name: str, entry: object, *, key: str, env: dict[str, str], base: Path, display: str
) -> Expectation | None:
    """One entry, or ``None`` when its marker is false for the target."""
    if not isinstance(entry, dict):
        raise BoundError(display, "expected an object", key=key)
    if not marker_holds(entry.get("markers") or None, env, display, key=key):
        return None
    version = entry.get("version")
    if version is None and not any(k in entry for k in ("git", "path", "file")):
        raise BoundError(display, "a package listed with no version and no source", key=key)
    try:
        specifier = SpecifierSet("" if version in {None, "*"} else str(version))
    except InvalidSpecifier as e:
        raise BoundError(display, f"invalid version {version!r}", key=key) from e
    return Expectation(
        name=canonicalize_name(name),
        specifier=specifier,
        source=_source(entry, base),
        extras=frozenset(canonicalize_name(e) for e in entry.get("extras", [])),
        origin=f"{display}: {key}",
    )


class PipfileLockReader:
    """``Pipfile.lock`` (``pipfile-spec`` 6)."""

    format = "Pipfile.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Select the categories ``pipenv sync`` would install on *target*."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise BoundError(display, f"invalid JSON: {e.msg}", line=e.lineno) from e
        if not isinstance(data, dict) or not isinstance(data.get("_meta"), dict):
            raise BoundError(display, "expected a JSON object with a '_meta' table (a Pipfile.lock)")
        spec = data["_meta"].get("pipfile-spec")
        if spec != SPEC:
            msg = f"pipfile-spec {spec!r} is not supported; expected {SPEC}"
            raise BoundError(display, msg, key="_meta.pipfile-spec")
        aliases = {"dev": "develop", "packages": "default", "dev-packages": "develop"}

        def category(name: str) -> str:
            return aliases.get(name, name)

        if selection.only_groups:
            chosen = [category(g) for g in selection.only_groups]
        else:
            chosen = ["default", *(category(g) for g in selection.groups)]
        chosen = [c for c in chosen if c not in {category(g) for g in selection.without_groups}]
        for c in chosen:
            if not isinstance(data.get(c), dict):
                available = ", ".join(k for k in data if k != "_meta")
                raise BoundError(display, f"no category {c!r} (it has: {available})")
        env = target.marker_env()
        expectations: dict[str, Expectation] = {}
        base = path.parent
        for cat in chosen:
            for name, entry in data[cat].items():
                exp = _expectation(name, entry, key=f"{cat}.{name}", env=env, base=base, display=display)
                if exp is not None and exp.name not in expectations:
                    # The first category wins, as pipenv installs default first.
                    expectations[exp.name] = exp
        flags = []
        if "develop" in chosen and not selection.only_groups:
            flags.append("--dev")
        others = [c for c in chosen if c not in {"default", "develop"}]
        if others or selection.only_groups:
            flags.append(f"--categories {','.join(chosen)}")
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations.values()),
            follow="none",
            allowed=SEEDED,
            repair=" ".join(["pipenv sync", *flags]),
            files=(str(path),),
        )
