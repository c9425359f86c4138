"""Whether a lock still matches the project file it was made from (a *stale lock*).

An environment can match its lock exactly while the lock no longer matches the project:
``pyproject.toml`` gained a dependency, a bound was raised, and nobody re-locked. Each
tool has its own test for that, and each is repeated here as the tool runs it:

- ``uv.lock`` (``uv lock --check``): uv records what it resolved *from*, so the check is
  a comparison, not a hash. The workspace members (``[manifest] members``), the
  workspace's ``requires-python`` (the intersection of every member's), each member's
  static ``version`` and whether it is a package (``editable``: ``[tool.uv] package``,
  else a ``[build-system]`` or a ``workspace = true`` source naming it) or ``virtual``,
  its ``[project]`` dependencies and optional
  dependencies (``[package.metadata] requires-dist``, an optional dependency carrying
  ``extra == 'NAME'`` in its marker),
  its extras (``provides-extras``), its dependency groups (``requires-dev``, with
  ``include-group`` expanded and ``[tool.uv] dev-dependencies`` merged into ``dev``), a
  non-project root's groups (``[manifest.dependency-groups]``), and ``[tool.uv]``
  ``constraint-dependencies``, ``override-dependencies`` and
  ``build-constraint-dependencies`` (``[manifest]`` ``constraints``, ``overrides``,
  ``build-constraints``), and ``[tool.uv] default-groups`` (the package's
  ``default-groups``, from lock revision 5 on). Requirements are compared as uv
  compares them, after its normalisation: names and extras PEP 503-normalised,
  specifiers by the versions they admit (``>=1.0,<3`` equals ``<3,>=1`` and
  ``>=1,<3,>=0.5``), markers by meaning (uv rewrites
  ``python_version >= '3.10'`` as ``python_full_version >= '3.10'``; two markers are the
  same when they agree on every environment that tells their literals apart), and
  ``[tool.uv.sources]`` by kind (``git``, ``url``, local ``path`` (by its path and
  ``editable``)/``workspace``,
  ``index``) and URL. Not compared: uv's resolver settings (``[options]``),
  ``environments``, ``conflicts`` and index URLs; a member whose dependencies are
  ``dynamic`` (uv builds it to know them) leaves that part unchecked, said in a note; a
  project without ``requires-python`` (uv then takes the interpreter's) has it unchecked.
- ``poetry.lock`` (``poetry check --lock``): ``[metadata] content-hash`` is the SHA-256
  of the relevant sections of ``pyproject.toml`` serialised as JSON, computed exactly
  as poetry's ``Locker._get_content_hash`` does: ``[project]`` ``requires-python``,
  ``dependencies`` and ``optional-dependencies``, ``[dependency-groups]``, and
  ``[tool.poetry]`` ``dependencies``, ``source``, ``extras``, ``dev-dependencies`` and
  ``group``; for a lock written by a poetry older than 2.3.0 (its first line says which)
  ``[dependency-groups]`` is left out, as poetry itself retries.
- ``Pipfile.lock`` (``pipenv verify``): ``_meta.hash.sha256`` is the SHA-256 of the
  ``Pipfile``'s sources, requires and package categories as compact sorted JSON, the
  package names PEP 503-normalised, as pipenv's ``Pipfile.calculate_hash``. A
  ``Pipfile`` without ``[[source]]`` is not checked: pipenv hashes a default source
  in its place, whose URL tether does not write down.
- ``pixi.lock`` is not checked: it records no digest of the manifest, and pixi decides
  by re-solving the manifest's conda match specs against the locked packages.

A check that cannot be made is a note, never a finding, and never an error: the
project file is the user's, and validation is about the environment first.
"""

from __future__ import annotations

import itertools
import posixpath
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from packaging.markers import InvalidMarker, Marker, default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

__all__ = ["Undecidable", "pipfile_hash", "pipfile_lock", "poetry_content_hash", "poetry_lock", "uv_lock"]


class Undecidable(Exception):
    """The check cannot be made (the reason says why); reported as a note."""


# -- poetry ------------------------------------------------------------------------------

_POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_POETRY_KEYS = (*_POETRY_LEGACY_KEYS, "group")
_POETRY_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")
#: Before this poetry, ``content-hash`` left ``[dependency-groups]`` out.
_POETRY_GROUPS_HASHED_SINCE = Version("2.3.0")


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def poetry_content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    """``content-hash`` as poetry's ``Locker._get_content_hash`` computes it (poetry
    2.x; for a pyproject without ``[project]`` or ``[dependency-groups]`` this is also
    poetry 1.x's hash of the ``[tool.poetry]`` keys, at the top level).

    :raises Undecidable: for values JSON cannot hold (a TOML date), where poetry fails too.
    """
    project = _table(pyproject.get("project"))
    groups = _table(pyproject.get("dependency-groups")) if with_dependency_groups else {}
    poetry = _table(_table(pyproject.get("tool")).get("poetry"))
    import hashlib
    import json

    relevant_project = {key: project[key] for key in _POETRY_PROJECT_KEYS if project.get(key) is not None}
    relevant_poetry: dict[str, Any] = {}
    for key in _POETRY_KEYS:
        data = poetry.get(key)
        # The legacy keys are hashed even when absent (as null), unless [project] or
        # [dependency-groups] has relevant content.
        if data is None and (key not in _POETRY_LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = data
    relevant: dict[str, Any] = {}
    if relevant_project:
        relevant["project"] = relevant_project
    if groups:
        relevant["dependency-groups"] = groups
    if relevant:
        relevant["tool"] = {"poetry": relevant_poetry}
    else:
        relevant = relevant_poetry
    try:
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()
    except (TypeError, ValueError) as e:
        msg = f"its relevant sections hold a value JSON cannot (poetry cannot hash it either: {e})"
        raise Undecidable(msg) from e


def poetry_lock(lock_text: str, lock: Mapping[str, Any], pyproject: Mapping[str, Any], shown: str) -> str:
    """Why the poetry lock is stale against *pyproject* (``""``: it is current), as
    ``poetry check --lock`` (``Locker.is_fresh``) decides.

    :param lock_text: the lock's text, whose first line names the poetry that wrote it.
    :param shown: the project file as the user knows it, for the reason.
    :raises Undecidable: when the hash cannot be computed.
    """
    recorded = _table(lock.get("metadata")).get("content-hash")
    if not isinstance(recorded, str):
        return f"{shown}: the lock records no content-hash of it"
    computed = poetry_content_hash(pyproject)
    if computed == recorded:
        return ""
    import re

    first = lock_text.split("\n", 1)[0]
    match = re.search("Poetry ([^ ]+)", first)
    if match:
        try:
            old = Version(match.group(1)) < _POETRY_GROUPS_HASHED_SINCE
        except InvalidVersion:
            old = False
        if old and poetry_content_hash(pyproject, with_dependency_groups=False) == recorded:
            return ""
    return (
        f"{shown}: its dependencies, groups, extras, sources or requires-python changed since the lock "
        f"was written (content-hash {computed[:12]}..., the lock records {recorded[:12]}...)"
    )


# -- pipenv ------------------------------------------------------------------------------

#: The Pipfile's sections that are not package categories (plette's PIPFILE_SECTIONS).
_PIPFILE_SECTIONS = frozenset(
    {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}
)


def pipfile_hash(pipfile: Mapping[str, Any]) -> str:
    """``_meta.hash.sha256`` as pipenv's ``Pipfile.calculate_hash`` computes it.

    :raises Undecidable: without ``[[source]]`` (pipenv hashes its default source, see
        the module's docstring), or for values JSON cannot hold.
    """
    if "source" not in pipfile:
        raise Undecidable("it has no [[source]], and pipenv hashes its default one in its place")
    import hashlib
    import json

    def normalized(section: object) -> dict[str, Any]:
        return {canonicalize_name(k): v for k, v in _table(section).items()}

    data: dict[str, Any] = {
        "_meta": {"sources": pipfile["source"], "requires": pipfile.get("requires", {})},
        "default": normalized(pipfile.get("packages")),
        "develop": normalized(pipfile.get("dev-packages")),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in {"default", "develop"}:
            continue
        data[category] = normalized(values)
    try:
        content = json.dumps(data, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        msg = f"it holds a value JSON cannot (pipenv cannot hash it either: {e})"
        raise Undecidable(msg) from e
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def pipfile_lock(lock: Mapping[str, Any], pipfile: Mapping[str, Any], shown: str) -> str:
    """Why the Pipfile.lock is stale against *pipfile* (``""``: it is current), as
    ``pipenv verify`` decides.

    :raises Undecidable: when the hash cannot be computed.
    """
    recorded = _table(_table(_table(lock.get("_meta")).get("hash"))).get("sha256")
    computed = pipfile_hash(pipfile)
    if computed == recorded:
        return ""
    was = f"{recorded[:12]}..." if isinstance(recorded, str) and recorded else "none"
    return (
        f"{shown}: its packages, categories, sources or requires changed since the lock was written "
        f"(sha256 {computed[:12]}..., the lock records {was})"
    )


# -- uv ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _Req:
    """One requirement in the form uv compares: everything but the marker in :attr:`key`."""

    key: tuple[object, ...]
    marker: str | None
    #: As a user would write it, for reasons.
    text: str
    name: str


def _source_key(kind: str, url: str = "") -> tuple[str, str]:
    # uv writes a git source's revision into the URL's query; the repository is compared.
    return (kind, url.split("?", 1)[0].split("#", 1)[0].rstrip("/").removeprefix("git+"))


def _direct_source(url: str) -> tuple[str, str]:
    """A PEP 508 URL as uv lowers it: ``git+URL@REV`` to a ``git`` source (the revision
    goes to the lock's query), a ``file:`` URL to a local path, anything else to ``url``."""
    if url.startswith("git+"):
        from urllib.parse import urlsplit

        parts = urlsplit(url[len("git+") :].split("#", 1)[0])
        path = parts.path.partition("@")[0]
        return _source_key("git", f"{parts.scheme}://{parts.netloc}{path}")
    if url.startswith("file:"):
        return ("local", "")
    return _source_key("url", url)


def _lock_req(entry: object) -> _Req:
    """A ``requires-dist`` (or ``requires-dev``, ``constraints``) entry of uv.lock."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        msg = f"an entry is not a table with a name: {entry!r}"
        raise Undecidable(msg)
    name = canonicalize_name(entry["name"])
    source: tuple[str, str] | None = None
    for kind in ("git", "url"):
        if isinstance(entry.get(kind), str):
            source = _source_key(kind, entry[kind])
    for kind in ("path", "directory", "editable", "virtual"):
        if isinstance(entry.get(kind), str):
            source = _local_key(entry[kind], editable=kind == "editable")
    if "index" in entry:
        source = ("index", "")
    extras = entry.get("extras") or []
    spec = entry.get("specifier") or ""
    marker = entry.get("marker")
    try:
        specifier = frozenset(SpecifierSet(spec)) if isinstance(spec, str) else frozenset()
    except InvalidSpecifier as e:
        raise Undecidable(str(e)) from e
    text = name + (f"[{','.join(extras)}]" if extras else "") + (spec if isinstance(spec, str) else "")
    return _Req(
        key=(name, frozenset(canonicalize_name(e) for e in extras if isinstance(e, str)), specifier, source),
        marker=marker if isinstance(marker, str) else None,
        text=text + (f"; {marker}" if isinstance(marker, str) else ""),
        name=name,
    )


def _local_key(path: str, *, editable: bool) -> tuple[str, str]:
    """A local source as uv records it: its path from the workspace's root, and whether
    it is installed editable (``("local", "")`` stands for any local source, where tether
    cannot tell the path: a ``workspace = true`` source, a ``file:`` URL)."""
    return ("local", ("editable " if editable else "") + posixpath.normpath(path))


def _same_source(a: object, b: object) -> bool:
    return a == b or (
        isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "local" and "" in (a[1], b[1])
    )


def _based(sources: object, base: str) -> dict[str, Any]:
    """``[tool.uv.sources]`` of the project in *base* (a folder relative to the workspace's
    root), each relative ``path`` made relative to the root, as the lock writes it.

    :raises Undecidable: for sources that are not tables (uv refuses them), rather than
        comparing as if there were none."""
    if sources is None:
        return {}
    if not isinstance(sources, dict):
        msg = f"[tool.uv] sources is not a table: {sources!r}"
        raise Undecidable(msg)

    def rebased(entry: object) -> object:
        if not isinstance(entry, dict):
            msg = f"a [tool.uv.sources] entry is not a table: {entry!r}"
            raise Undecidable(msg)
        path = _table(entry).get("path")
        if not isinstance(path, str) or posixpath.isabs(path) or "\\" in path:
            return entry
        return {**_table(entry), "path": posixpath.join(base, path)}

    return {
        canonicalize_name(k): [rebased(e) for e in v] if isinstance(v, list) else rebased(v)
        for k, v in sources.items()
    }


def _source_of(declared: Mapping[str, Any]) -> tuple[str, str] | None:
    """One ``[tool.uv.sources]`` entry as the lock records its kind (see :func:`_lock_req`)."""
    if "extra" in declared or "group" in declared:
        # uv writes such sources with markers of its own (conflicting extras or groups).
        msg = "a source that depends on an extra or a group"
        raise Undecidable(msg)
    path = declared.get("path")
    if isinstance(path, str) and not posixpath.isabs(path) and "\\" not in path:
        return _local_key(path, editable=declared.get("editable") is True)
    if declared.get("workspace") is True or "path" in declared:
        return ("local", "")
    if isinstance(declared.get("git"), str):
        return _source_key("git", declared["git"])
    if isinstance(declared.get("url"), str):
        return _source_key("url", declared["url"])
    if "index" in declared:
        return ("index", "")
    return None


def _specifier(clauses: object, source: tuple[str, str] | None) -> frozenset[object]:
    """The version clauses uv keeps: only a registry (or ``index``) requirement has any; a
    git, URL or local source's are dropped (uv lock --check ignores them)."""
    kept = source is None or source[0] == "index"
    return frozenset(clauses) if kept and isinstance(clauses, (frozenset, SpecifierSet)) else frozenset()


def _lowered(text: object, sources: Mapping[str, Any], extra: str | None = None) -> list[_Req]:
    """A pyproject requirement as uv records it: one entry, or one per source where
    ``[tool.uv.sources]`` gives it a list (each source's ``marker`` joined to its own)."""
    req = _project_req(text, {}, extra)
    declared = sources.get(req.name)
    entries = declared if isinstance(declared, list) else [declared] if isinstance(declared, dict) else []
    if not entries:
        return [req]
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        marker = req.marker
        if isinstance(entry.get("marker"), str):
            marker = f"({marker}) and ({entry['marker']})" if marker else entry["marker"]
        source = _source_of(entry)
        key = (*req.key[:2], _specifier(req.key[2], source), source)
        out.append(_Req(key=key, marker=marker, text=req.text, name=req.name))
    return out


def _project_req(text: object, sources: Mapping[str, Any], extra: str | None = None) -> _Req:
    """A requirement string of a pyproject (with a single ``[tool.uv.sources]`` table
    entry at most, see :func:`_lowered`)."""
    if isinstance(text, Requirement):
        req, text = text, str(text)
    elif not isinstance(text, str):
        msg = f"a requirement is not a string: {text!r}"
        raise Undecidable(msg)
    else:
        try:
            req = Requirement(text)
        except InvalidRequirement as e:
            msg = f"invalid requirement {text!r}"
            raise Undecidable(msg) from e
    name = canonicalize_name(req.name)
    source: tuple[str, str] | None = _direct_source(req.url) if req.url else None
    declared = sources.get(name)
    if isinstance(declared, dict):
        source = _source_of(declared)
    marker = str(req.marker) if req.marker is not None else None
    if extra is not None:
        marker = f"({marker}) and extra == '{extra}'" if marker else f"extra == '{extra}'"
    return _Req(
        key=(
            name,
            frozenset(canonicalize_name(e) for e in req.extras),
            _specifier(req.specifier, source),
            source,
        ),
        marker=marker,
        text=text.strip(),
        name=name,
    )


#: How many environments two markers may be compared on before falling back to their text.
_MAX_ENVIRONMENTS = 20000
_VERSION_VARIABLES = frozenset({"python_version", "python_full_version", "implementation_version"})


def _atoms(markers: Iterable[Any]) -> Iterable[tuple[str, str]]:
    """``(variable, literal)`` of every comparison in a parsed marker."""
    for item in markers:
        if isinstance(item, list):
            yield from _atoms(item)
        elif isinstance(item, tuple):
            left, _, right = item
            # A comparison is (Variable, Op, Value) or (Value, Op, Variable).
            variable, value = (left, right) if type(left).__name__ == "Variable" else (right, left)
            yield str(variable.value), str(value.value)


def _around(literal: str) -> list[str]:
    """Python versions just below, at and just above *literal*: where a comparison with
    it can change its answer."""
    try:
        release = Version(literal).release
    except InvalidVersion:
        return [literal]
    major, minor, micro = (*release, 0, 0)[:3]
    out = [f"{major}.{minor}.{micro}", f"{major}.{minor}.{micro + 1}", f"{major}.{minor + 1}.0"]
    if micro:
        out.append(f"{major}.{minor}.{micro - 1}")
    if minor:
        out.append(f"{major}.{minor - 1}.99")
    return out


#: ``platform_system`` values uv rewrites as ``sys_platform`` ones (its marker normal
#: form: ``platform_system != 'Windows'`` is recorded as ``sys_platform != 'win32'``).
_PLATFORMS = {"Windows": "win32", "Darwin": "darwin", "Linux": "linux"}


def _platforms(sys_platforms: set[str], systems: set[str]) -> list[dict[str, str]]:
    """The ``sys_platform``/``platform_system`` pairs to evaluate on: tied where uv ties
    them, each other literal on its own."""
    known = {v: k for k, v in _PLATFORMS.items()}
    pairs = {(sp, known.get(sp, "\0" + sp)) for sp in sys_platforms}
    pairs |= {(_PLATFORMS.get(ps, "\0" + ps), ps) for ps in systems}
    pairs.add(("\0other", "\0other"))
    return [{"sys_platform": sp, "platform_system": ps} for sp, ps in sorted(pairs)]


def _choices(ma: Marker, mb: Marker, python: SpecifierSet | None = None) -> list[list[dict[str, str]]]:
    """For each variable the two markers read (``sys_platform`` and ``platform_system``
    together), the values that tell their literals apart: at, around and beside each
    (Python versions only those *python*, the workspace's ``requires-python``, admits)."""
    values: dict[str, set[str]] = {}
    for variable, literal in _atoms([*ma._markers, *mb._markers]):
        key = "python_full_version" if variable == "python_version" else variable
        if key in _VERSION_VARIABLES:
            values.setdefault(key, {"0.0.0", "99.0.0"}).update(_around(literal))
        else:
            values.setdefault(key, {"", "\0other"}).add(literal)
    if python is not None and "python_full_version" in values:
        found = values["python_full_version"]
        for spec in python:
            found.update(_around(spec.version.removesuffix(".*")))
        values["python_full_version"] = {v for v in found if python.contains(v, prereleases=True)}
    platform = {"sys_platform", "platform_system"}
    choices = [
        [{name: v} for v in sorted(found)] for name, found in sorted(values.items()) if name not in platform
    ]
    if platform & values.keys():
        choices.append(_platforms(values.get("sys_platform", set()), values.get("platform_system", set())))
    return choices


def _same_marker(a: str | None, b: str | None, python: SpecifierSet | None = None) -> bool:
    """Whether two markers hold for the same environments (as uv's normal forms are
    equal): both are evaluated on every combination of the values their literals
    distinguish (``sys_platform`` and ``platform_system`` tied as uv ties them). uv
    simplifies markers against the workspace's ``requires-python`` (*python*) before it
    compares them: ``python_version >= '3.8'`` is no marker at all under ``>=3.10``, so
    only the Python versions *python* admits are tried."""
    if a == b:
        return True
    try:
        ma, mb = Marker(a or "python_version >= '0'"), Marker(b or "python_version >= '0'")
    except InvalidMarker:
        return False
    choices = _choices(ma, mb, python)
    total = 1
    for choice in choices:
        total *= len(choice)
    if total > _MAX_ENVIRONMENTS:
        return str(ma) == str(mb)
    base: dict[str, str] = {k: str(v) for k, v in default_environment().items()}
    for combination in itertools.product(*choices):
        env = {**base, "extra": ""}
        for part in combination:
            env.update(part)
        env["python_version"] = ".".join(env["python_full_version"].split(".")[:2])
        if _holds(ma, env) != _holds(mb, env):
            return False
    return True


def _holds(marker: Marker, env: dict[str, str]) -> bool | None:
    try:
        return marker.evaluate(env)
    except Exception:  # noqa: BLE001 - a comparison packaging refuses: the same refusal on both sides
        return None


def _near(literal: str) -> list[str]:
    """Versions where a PEP 440 clause on *literal* can change its answer: the release
    points of :func:`_around` and the pre-, post- and dev-releases at *literal*."""
    try:
        Version(literal)
    except InvalidVersion:
        return [literal]
    return [*_around(literal), literal, f"{literal}.post1", f"{literal}.dev0", f"{literal}a1", f"{literal}.1"]


def _same_specifiers(a: object, b: object) -> bool:
    """Whether two requirements' specifiers (frozensets of clauses) admit the same versions,
    as uv compares them (its version ranges): ``~=1.4.0`` equals ``>=1.4.0,==1.4.*`` and
    ``>=20,>=19`` equals ``>=20``; ``>20`` is not ``>=20.0.post0``."""
    if a == b:
        return True
    if not isinstance(a, frozenset) or not isinstance(b, frozenset):
        return False
    clauses: list[Specifier] = [*a, *b]
    if any(c.operator == "===" for c in clauses):
        return False
    sa, sb = SpecifierSet(a), SpecifierSet(b)
    points = {"0", "9999"} | {v for c in clauses for v in _near(c.version.removesuffix(".*"))}
    return all(sa.contains(v, prereleases=True) == sb.contains(v, prereleases=True) for v in points)


#: Above this many same-name pairs to match in one list, markers are compared by their
#: normalised text rather than by meaning: each comparison by meaning may evaluate up to
#: :data:`_MAX_ENVIRONMENTS` environments, and hundreds of lines of one name under
#: different markers would otherwise take minutes.
_MAX_PAIRS = 2000


def _same_req(a: _Req, b: _Req, python: SpecifierSet | None, *, by_text: bool = False) -> bool:
    """Whether uv holds the two requirements equal: name, extras and source as they are,
    the specifiers and markers by meaning (markers by text with *by_text*)."""
    if a.key[:2] != b.key[:2] or not _same_source(a.key[3], b.key[3]):
        return False
    if not _same_specifiers(a.key[2], b.key[2]):
        return False
    if by_text:
        return _marker_text(a.marker) == _marker_text(b.marker)
    return _same_marker(a.marker, b.marker, python)


def _marker_text(marker: str | None) -> str:
    try:
        return str(Marker(marker)) if marker else ""
    except InvalidMarker:
        return marker or ""


def _unique(reqs: list[_Req]) -> list[_Req]:
    seen: set[tuple[object, ...]] = set()
    out: list[_Req] = []
    for req in reqs:
        if (req.key, req.marker) not in seen:
            seen.add((req.key, req.marker))
            out.append(req)
    return out


def _differences(
    wanted: list[_Req], locked: list[_Req], where: str, lock_name: str, python: SpecifierSet | None = None
) -> list[str]:
    """What differs between the project's requirements and the lock's, matched as
    multisets (the same name may appear with several markers); a requirement written
    twice is one, as uv records it once."""
    left = list(locked)
    unmatched: list[_Req] = []
    wanted = _unique(wanted)
    names = Counter(r.name for r in left)
    by_text = sum(names[r.name] for r in wanted) > _MAX_PAIRS
    for req in wanted:
        match = next((r for r in left if _same_req(r, req, python, by_text=by_text)), None)
        if match is None:
            unmatched.append(req)
        else:
            left.remove(match)
    out = []
    for req in unmatched:
        old = next((r for r in left if r.name == req.name), None)
        if old is not None:
            left.remove(old)
            out.append(f"{where} {req.text} (the lock has {old.text})")
        else:
            out.append(f"{where} {req.text} is not in {lock_name}")
    out.extend(f"{where} {r.text} was removed (still in {lock_name})" for r in left)
    return out


def _group_requirements(
    groups: Mapping[str, Any], sources: Mapping[str, Any], dev: list[Any]
) -> dict[str, list[_Req]]:
    """PEP 735 groups with ``include-group`` expanded, ``[tool.uv] dev-dependencies``
    merged into ``dev``, as uv records them in ``requires-dev``."""
    from tether.errors import DocumentError
    from tether.sources._access import Table
    from tether.sources.pyproject import resolve_groups

    out: dict[str, list[_Req]] = {}
    try:
        pairs = resolve_groups(Table(dict(groups), "dependency-groups"), list(groups))
    except DocumentError as e:
        raise Undecidable(str(e)) from e
    for group in groups:
        out[canonicalize_name(group)] = [x for g, r in pairs if g == group for x in _lowered(r, sources)]
    if dev:
        out.setdefault("dev", []).extend(x for r in dev for x in _lowered(r, sources))
    return out


def _group_names(value: object) -> object:
    """A ``default-groups`` value in the form uv compares: ``all``, or a set of names
    (none declared is ``dev``, uv's default, which the lock then does not record)."""
    if value is None:
        return frozenset({"dev"})
    if isinstance(value, list):
        return frozenset(canonicalize_name(v) if isinstance(v, str) else repr(v) for v in value)
    return value


@dataclass(frozen=True, kw_only=True, slots=True)
class _Member:
    name: str
    shown: str
    project: dict[str, Any]
    document: dict[str, Any]


def _strings(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _glob(root: Path, pattern: object) -> list[Path]:
    if not isinstance(pattern, str):
        return []
    try:
        return sorted(root.glob(pattern))
    except (ValueError, NotImplementedError, OSError) as e:
        msg = f"workspace member pattern {pattern!r}: {e}"
        raise Undecidable(msg) from e


def _listed(root: Path, pattern: str) -> Path:
    """The folder whose listing a member pattern depends on: its part before the first
    wildcard (``packages`` for ``packages/*``), where a new member would appear."""
    parts = PurePosixPath(pattern).parts
    static = list(itertools.takewhile(lambda part: not any(c in part for c in "*?["), parts))
    return root.joinpath(*static[:-1] if len(static) == len(parts) else static)


def _members(
    root: Path,
    document: dict[str, Any],
    read: Callable[[Path], dict[str, Any]],
    *,
    local: bool,
    watched: list[str],
) -> list[_Member]:
    """The workspace's members as uv finds them: the root project, then every directory
    a ``[tool.uv.workspace] members`` glob matches (less ``exclude``) that holds a
    ``pyproject.toml`` with a ``[project]``.

    :param local: the workspace's folders are there to look at (not a remote lock, of
        which only the ``pyproject.toml`` beside it was fetched).
    :param watched: receives the paths the answer depends on besides the files read: the
        folders the patterns list and each match's ``pyproject.toml``, present or not."""
    found: list[_Member] = []
    project = _table(document.get("project"))
    if isinstance(project.get("name"), str):
        found.append(_Member(name=canonicalize_name(project["name"]), shown="pyproject.toml",
                             project=project, document=document))  # fmt: skip
    workspace = _table(_table(_table(document.get("tool")).get("uv")).get("workspace"))
    if workspace.get("members") and not local:
        raise Undecidable("the members of a workspace are not fetched with a remote lock")
    excluded = {p.resolve() for g in _strings(workspace.get("exclude")) for p in _glob(root, g)}
    seen = {root.resolve()}
    for pattern in _strings(workspace.get("members")):
        folders = _glob(root, pattern)
        watched.append(str(_listed(root, pattern)))
        watched.extend(str(folder / "pyproject.toml") for folder in folders)
        for folder in folders:
            real = folder.resolve()
            if real in seen or real in excluded or not (folder / "pyproject.toml").is_file():
                continue
            seen.add(real)
            member = read(folder / "pyproject.toml")
            member_project = _table(member.get("project"))
            if isinstance(member_project.get("name"), str):
                shown = f"{folder.relative_to(root).as_posix()}/pyproject.toml"
                found.append(_Member(name=canonicalize_name(member_project["name"]), shown=shown,
                                     project=member_project, document=member))  # fmt: skip
    return found


def _same_range(a: str, b: str) -> bool:
    """Whether two ``requires-python`` ranges admit the same Python versions."""
    try:
        sa, sb = SpecifierSet(a), SpecifierSet(b)
    except InvalidSpecifier:
        return a == b
    points = {"0.0.0", "99.0.0"}
    for spec in (*sa, *sb):
        points.update(_around(spec.version.removesuffix(".*")))
    return all(sa.contains(p, prereleases=True) == sb.contains(p, prereleases=True) for p in points)


def _requires_python(members: list[_Member]) -> str | None:
    specs: list[Specifier] = []
    declared = False
    for member in members:
        value = member.project.get("requires-python")
        if isinstance(value, str):
            declared = True
            try:
                specs.extend(SpecifierSet(value))
            except InvalidSpecifier as e:
                msg = f"{member.shown}: invalid requires-python {value!r}"
                raise Undecidable(msg) from e
    return ",".join(str(s) for s in specs) if declared else None


class _UvCheck:
    """One comparison of a uv workspace with its lock (see the module's docstring)."""

    def __init__(
        self, lock: Mapping[str, Any], root: Path, read: Callable[[Path], dict[str, Any]], *, local: bool
    ) -> None:
        self.lock = lock
        self.root = root
        self.document = read(root / "pyproject.toml")
        #: Paths the verdict depends on besides the files read (see :func:`_members`).
        self.watched: list[str] = []
        self.members = _members(root, self.document, read, local=local, watched=self.watched)
        self.manifest = _table(lock.get("manifest"))
        uv = _table(_table(self.document.get("tool")).get("uv"))
        self.uv = uv
        self.sources = _based(uv.get("sources"), ".")
        self.notes: list[str] = []
        self.reasons: list[str] = []
        #: The workspace's requires-python, which uv simplifies markers against.
        self.python: SpecifierSet | None = None

    def run(self) -> None:
        self._workspace()
        for member in self.members:
            self._member(member)
        if not isinstance(self.document.get("project"), dict):
            self._virtual_root()
        for key, setting in (
            ("constraints", "constraint-dependencies"),
            ("overrides", "override-dependencies"),
            ("build-constraints", "build-constraint-dependencies"),
        ):
            wanted = [_project_req(r, {}) for r in _strings(self.uv.get(setting))]
            locked = [_lock_req(r) for r in _strings(self.manifest.get(key))]
            self.reasons += _differences(
                wanted, locked, f"pyproject.toml: [tool.uv] {setting}:", "uv.lock", self.python
            )

    def _workspace(self) -> None:
        names = sorted(m.name for m in self.members)
        recorded = sorted(
            canonicalize_name(m) for m in _strings(self.manifest.get("members")) if isinstance(m, str)
        )
        # uv leaves [manifest] members out for a workspace of one project.
        if recorded != names and not (not recorded and len(names) == 1):
            self.reasons.append(
                f"pyproject.toml: the workspace members are {', '.join(names) or 'none'}; "
                f"uv.lock has {', '.join(recorded) or 'none'}"
            )
        wanted = _requires_python(self.members)
        self.python = SpecifierSet(wanted) if wanted else None
        locked = self.lock.get("requires-python")
        # Without one, uv takes the interpreter's (and warns about it): not compared, and not
        # said at each run either.
        if wanted is not None and (not isinstance(locked, str) or not _same_range(wanted, locked)):
            self.reasons.append(
                f"pyproject.toml: requires-python is {wanted}; uv.lock has {locked or 'none'}"
            )

    def _locked_package(self, name: str) -> dict[str, Any] | None:
        for package in _strings(self.lock.get("package")):
            if (
                isinstance(package, dict)
                and isinstance(package.get("name"), str)
                and canonicalize_name(package["name"]) == name
                and any(
                    k in _table(package.get("source")) for k in ("editable", "virtual", "directory", "path")
                )
            ):
                return package
        return None

    def _member(self, member: _Member) -> None:
        package = self._locked_package(member.name)
        if package is None:
            if not self.manifest.get("members"):  # else reported with the members
                self.reasons.append(f"{member.shown}: project {member.name} is not in uv.lock")
            return
        self._version(member, package)
        self._packaged(member, package)
        self._default_groups(member, package)
        metadata = _table(package.get("metadata"))
        own = _table(_table(member.document.get("tool")).get("uv")).get("sources")
        sources = {**self.sources, **_based(own, PurePosixPath(member.shown).parent.as_posix())}
        dynamic = set(_strings(member.project.get("dynamic")))
        where = f"{member.shown}: {member.name}"
        if dynamic & {"dependencies", "optional-dependencies"}:
            self.notes.append(
                f"{member.shown}: dependencies are dynamic (uv builds it to know them); not compared"
            )
        else:
            wanted = [x for r in _strings(member.project.get("dependencies")) for x in _lowered(r, sources)]
            optional = _table(member.project.get("optional-dependencies"))
            for extra, reqs in optional.items():
                wanted += [x for r in _strings(reqs) for x in _lowered(r, sources, canonicalize_name(extra))]
            locked = [_lock_req(r) for r in _strings(metadata.get("requires-dist"))]
            self.reasons += _differences(wanted, locked, f"{where} requires", "uv.lock", self.python)
            provides = metadata.get("provides-extras")
            if isinstance(provides, list):
                have = sorted(canonicalize_name(e) for e in optional)
                recorded = sorted(canonicalize_name(e) for e in provides if isinstance(e, str))
                if have != recorded:
                    self.reasons.append(f"{where} has extras {have}; uv.lock has {recorded}")
        dev = _strings(_table(_table(member.document.get("tool")).get("uv")).get("dev-dependencies"))
        groups = _group_requirements(_table(member.document.get("dependency-groups")), sources, dev)
        self._groups(groups, _table(metadata.get("requires-dev")), where)

    def _packaged(self, member: _Member, package: dict[str, Any]) -> None:
        """uv installs a member as a package (``editable``) when ``[tool.uv] package`` says
        so or, unset, when it has a ``[build-system]`` or a project of the workspace names
        it a ``workspace = true`` source; else it is ``virtual``."""
        setting = _table(_table(member.document.get("tool")).get("uv")).get("package")
        packaged = setting if isinstance(setting, bool) else (
            "build-system" in member.document or member.name in self._workspace_sourced()
        )  # fmt: skip
        source = _table(package.get("source"))
        kind = "editable" if "editable" in source else "virtual" if "virtual" in source else None
        if kind is not None and (kind == "editable") != packaged:
            wanted = "a package (editable)" if packaged else "virtual (not a package)"
            self.reasons.append(f"{member.shown}: {member.name} is {wanted}; uv.lock has it {kind}")

    def _default_groups(self, member: _Member, package: dict[str, Any]) -> None:
        """``[tool.uv] default-groups``, which uv (lock revision 5 and later) records on the
        project's package, compared as uv does: names normalised, in any order, or ``all``."""
        revision = self.lock.get("revision")
        if "default-groups" not in package and not (isinstance(revision, int) and revision >= 5):
            return
        declared = _table(_table(member.document.get("tool")).get("uv")).get("default-groups")
        locked = package.get("default-groups")
        if _group_names(declared) != _group_names(locked):
            have, shown = ("none" if v is None else v for v in (declared, locked))
            self.reasons.append(
                f"{member.shown}: {member.name} has default-groups {have}; uv.lock has {shown}"
            )

    def _workspace_sourced(self) -> set[str]:
        """The names a ``[tool.uv.sources]`` of the workspace's projects gives ``workspace = true``."""
        out: set[str] = set()
        for document in (self.document, *(m.document for m in self.members)):
            for name, declared in _table(
                _table(_table(document.get("tool")).get("uv")).get("sources")
            ).items():
                entries = declared if isinstance(declared, list) else [declared]
                if any(_table(e).get("workspace") is True for e in entries):
                    out.add(canonicalize_name(name))
        return out

    def _version(self, member: _Member, package: dict[str, Any]) -> None:
        """A static ``version`` is what uv locked the member at."""
        version = member.project.get("version")
        locked = package.get("version")
        if not isinstance(version, str) or "version" in _strings(member.project.get("dynamic")):
            return
        try:
            same = isinstance(locked, str) and Version(version) == Version(locked)
        except InvalidVersion:
            same = version == locked
        if not same:
            self.reasons.append(f"{member.shown}: {member.name} is version {version}; uv.lock has {locked}")

    def _virtual_root(self) -> None:
        """A workspace root without ``[project]``: its groups are the manifest's, and the
        lock has no project at its root (one there was locked from a ``[project]`` since
        removed, which ``uv lock --check`` finds stale)."""
        for package in _strings(self.lock.get("package")):
            source = _table(_table(package).get("source"))
            if source.get("editable") == "." or source.get("virtual") == ".":
                self.reasons.append(
                    f"pyproject.toml: it has no [project]; uv.lock has project {_table(package).get('name')}"
                )
        dev = _strings(self.uv.get("dev-dependencies"))
        groups = _group_requirements(_table(self.document.get("dependency-groups")), self.sources, dev)
        self._groups(groups, _table(self.manifest.get("dependency-groups")), "pyproject.toml: the workspace")

    def _groups(self, groups: dict[str, list[_Req]], recorded: dict[str, Any], where: str) -> None:
        locked: dict[str, Any] = {canonicalize_name(k): v for k, v in recorded.items()}
        for name in sorted(groups.keys() - locked.keys()):
            self.reasons.append(f"{where} has dependency group {name!r}, which uv.lock has not")
        for name in sorted(locked.keys() - groups.keys()):
            self.reasons.append(f"{where} has no dependency group {name!r}, which uv.lock has")
        for name in sorted(groups.keys() & locked.keys()):
            reqs = [_lock_req(r) for r in _strings(locked[name])]
            self.reasons += _differences(
                groups[name], reqs, f"{where} group {name!r} requires", "uv.lock", self.python
            )


def uv_lock(
    lock: Mapping[str, Any], root: Path, read: Callable[[Path], dict[str, Any]], *, local: bool = True
) -> tuple[str, list[str], list[str]]:
    """Why the uv lock is stale against its workspace in *root* (``""``: it is current),
    what could not be compared (notes), and the paths the answer depends on besides the
    ``pyproject.toml`` files read (the folders where a new member would appear, to stamp),
    as ``uv lock --check`` decides.

    :param read: reads a ``pyproject.toml`` into its table (naming it on an error).
    :param local: whether the workspace's folders are there (see :func:`_members`).
    :raises Undecidable: when the comparison cannot be made at all.
    """
    check = _UvCheck(lock, root, read, local=local)
    check.run()
    reasons = check.reasons
    if not reasons:
        return "", check.notes, check.watched
    more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
    return "; ".join(reasons[:3]) + more, check.notes, check.watched
