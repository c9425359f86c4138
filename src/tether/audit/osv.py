"""OSV records and their matching semantics, with ``packaging`` versions.

An OSV record (https://ossf.github.io/osv-schema/) says which versions of a package it
affects in two ways, either of which suffices: an explicit ``versions`` list, and
``ranges`` of events. For the PyPI ecosystem only ``ECOSYSTEM`` ranges compare versions
(``GIT`` ranges name commits, which an installed distribution does not carry; ``SEMVER``
ranges are not used for PyPI). A range's events, in version order, switch the state:
``introduced`` (``"0"``: from the first version) makes the versions from it on
affected, ``fixed`` the versions from it on not affected, ``last_affected`` the versions
after it. A ``withdrawn`` record affects nothing.

Choices where the schema is silent:

- Events are sorted by version before they are applied, as the schema's evaluation
  algorithm says (real records list them out of order: PYSEC-2023-192 gives the 2.x
  range before the 1.x one). Events at one version (a ``fixed`` and an ``introduced``
  where two ranges meet) apply in the order the record lists them, as OSV applies them
  (PYSEC-2023-72's versions list, which OSV expanded from its ranges, says so).
- An event whose version is not a PEP 440 version (``0.6m4``, a date) is ignored: pip
  cannot install such a release, and no PEP 440 version compares with it. An explicit
  ``versions`` entry is also compared as text, so nothing is lost for it.
- The fix of a finding is the smallest ``fixed`` version above the installed one that
  the record does not itself affect: the smallest upgrade that clears it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from tether.errors import AuditError
from tether.runtime.versions import key

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["Advisory", "Affected", "Range", "parse_advisory", "parse_version"]

#: The OSV ecosystem of every package tether audits.
ECOSYSTEM = "PyPI"

_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


def parse_version(text: str) -> Version | None:
    """*text* as a PEP 440 version, or ``None`` when it is not one."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True, kw_only=True, slots=True)
class Range:
    """One ``ECOSYSTEM`` range: its events sorted by version (``introduced: "0"`` first)."""

    #: ``(kind, version)`` pairs; kind is ``introduced``, ``fixed`` or ``last_affected``;
    #: version ``None`` is ``introduced: "0"``.
    events: tuple[tuple[str, Version | None], ...]

    def contains(self, version: Version) -> bool:
        """Whether *version* is in this range (the schema's evaluation algorithm)."""
        affected = False
        for kind, at in self.events:
            if kind == "introduced":
                if at is None or version >= at:
                    affected = True
            elif at is not None and (version >= at if kind == "fixed" else version > at):
                affected = False
        return affected

    def fixed(self) -> tuple[Version, ...]:
        """The versions this range names as fixed."""
        return tuple(at for kind, at in self.events if kind == "fixed" and at is not None)


@dataclass(frozen=True, kw_only=True, slots=True)
class Affected:
    """What one ``affected`` entry of a record says of a PyPI package."""

    name: NormalizedName
    ranges: tuple[Range, ...] = ()
    #: The explicit ``versions`` list, as written.
    versions: frozenset[str] = frozenset()
    #: The same list as PEP 440 keys (:func:`tether.runtime.versions.key`: equal exactly
    #: when ``packaging`` calls the versions equal, and about twice as fast to compute as
    #: ``Version``, which counts: a record may list hundreds of versions).
    keys: frozenset[object] = frozenset()

    def contains(self, version: Version, text: str) -> bool:
        """Whether this entry affects *version* (written *text* where it is installed)."""
        if text in self.versions or any(r.contains(version) for r in self.ranges):
            return True
        return bool(self.keys) and key(text) in self.keys


@dataclass(frozen=True, kw_only=True, slots=True)
class Advisory:
    """One OSV record, as far as an audit needs it."""

    id: str
    aliases: tuple[str, ...] = ()
    #: The record's ``summary``, else the first line of its ``details``.
    summary: str = ""
    details: str = ""
    modified: str = ""
    published: str = ""
    withdrawn: str = ""
    #: ``(type, score)`` of each ``severity`` entry: ``("CVSS_V3", "CVSS:3.1/AV:N/...")``.
    severity: tuple[tuple[str, str], ...] = ()
    #: ``database_specific.severity`` (GitHub's advisories: LOW, MODERATE, HIGH, CRITICAL).
    database_severity: str = ""
    #: The URL of each reference, in the record's order.
    references: tuple[str, ...] = ()
    affected: tuple[Affected, ...] = ()

    @property
    def malicious(self) -> bool:
        """A malicious-package report (OSV's ``MAL-`` ids): remove it, do not upgrade it."""
        return self.id.startswith("MAL-")

    def affects(self, name: str, version: Version, text: str | None = None) -> bool:
        """Whether this record affects *name* at *version* (withdrawn records affect nothing)."""
        if self.withdrawn:
            return False
        name = canonicalize_name(name)
        text = str(version) if text is None else text
        return any(a.name == name and a.contains(version, text) for a in self.affected)

    def fixes(self, name: str, version: Version) -> tuple[Version, ...]:
        """The versions above *version* that the record names as fixed, smallest first,
        and of them only those it does not itself affect (a fix of one branch may be
        inside another branch's range)."""
        name = canonicalize_name(name)
        found = {
            fix
            for entry in self.affected
            if entry.name == name
            for r in entry.ranges
            for fix in r.fixed()
            if fix > version
        }
        return tuple(sorted(f for f in found if not self.affects(name, f)))

    def names(self) -> frozenset[NormalizedName]:
        """The PyPI packages this record is about."""
        return frozenset(a.name for a in self.affected)


# -- reading a record -------------------------------------------------------------------


def _fail(where: str, key: str, expected: str) -> AuditError:
    return AuditError(where, f"not an OSV record: in {key!r}, expected {expected}")


def _text(data: Mapping[str, object], key: str, where: str, path: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _fail(where, f"{path}{key}", "a string")
    return value


def _list(value: object, where: str, path: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, path, "a list")
    return value


def _mapping(value: object, where: str, path: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _fail(where, path, "a mapping")
    return value


def _range(data: dict[str, object], where: str, path: str) -> Range | None:
    if data.get("type") != "ECOSYSTEM":
        return None
    events: list[tuple[str, Version | None]] = []
    for j, raw in enumerate(_list(data.get("events"), where, f"{path}.events")):
        event = _mapping(raw, where, f"{path}.events[{j}]")
        for kind, value in event.items():
            if kind not in _ORDER:
                continue  # "limit" applies to GIT ranges only
            if not isinstance(value, str):
                raise _fail(where, f"{path}.events[{j}].{kind}", "a version string")
            if kind == "introduced" and value == "0":
                events.append((kind, None))
                continue
            version = parse_version(value)
            if version is not None:
                events.append((kind, version))
    # "0" first, then by version; events at one version keep the record's order (a
    # stable sort), as OSV applies them.
    events.sort(key=lambda e: (e[1] is not None, e[1] or Version("0")))
    return Range(events=tuple(events))


def _affected(raw: object, where: str, path: str) -> Affected | None:
    entry = _mapping(raw, where, path)
    package = _mapping(entry.get("package", {}), where, f"{path}.package")
    if package.get("ecosystem") != ECOSYSTEM:
        return None
    name = package.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(where, f"{path}.package.name", "a package name")
    ranges = []
    for i, r in enumerate(_list(entry.get("ranges"), where, f"{path}.ranges")):
        parsed = _range(_mapping(r, where, f"{path}.ranges[{i}]"), where, f"{path}.ranges[{i}]")
        if parsed is not None:
            ranges.append(parsed)
    versions = frozenset(str(v) for v in _list(entry.get("versions"), where, f"{path}.versions"))
    keys = {key(v) for v in versions}
    keys.discard(None)
    return Affected(
        name=canonicalize_name(name), ranges=tuple(ranges), versions=versions, keys=frozenset(keys)
    )


def _severity(data: Mapping[str, object], where: str) -> tuple[tuple[str, str], ...]:
    out = []
    for i, raw in enumerate(_list(data.get("severity"), where, "severity")):
        entry = _mapping(raw, where, f"severity[{i}]")
        kind, score = entry.get("type"), entry.get("score")
        if isinstance(kind, str) and isinstance(score, str):
            out.append((kind, score))
    return tuple(out)


def _references(data: Mapping[str, object], where: str) -> tuple[str, ...]:
    urls = []
    for i, raw in enumerate(_list(data.get("references"), where, "references")):
        url = _mapping(raw, where, f"references[{i}]").get("url")
        if isinstance(url, str):
            urls.append(url)
    return tuple(urls)


def parse_advisory(data: object, where: str) -> Advisory:
    """An OSV record (JSON or YAML, already loaded) as an :class:`Advisory`.

    Only what an audit reads is checked; unknown keys are left alone (the schema grows).

    :param where: the file or URL it came from, for messages.
    :raises AuditError: when it is not an OSV record.
    """
    if not isinstance(data, dict):
        raise AuditError(where, "not an OSV record: expected a JSON/YAML mapping")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident:
        raise _fail(where, "id", "a non-empty string")
    details = _text(data, "details", where, "")
    summary = _text(data, "summary", where, "") or next(iter(details.strip().splitlines()), "")
    affected = [
        _affected(raw, where, f"affected[{i}]")
        for i, raw in enumerate(_list(data.get("affected"), where, "affected"))
    ]
    specific = data.get("database_specific")
    database_severity = specific.get("severity") if isinstance(specific, dict) else None
    return Advisory(
        id=ident,
        aliases=tuple(str(a) for a in _list(data.get("aliases"), where, "aliases")),
        summary=summary.strip(),
        details=details,
        modified=_text(data, "modified", where, ""),
        published=_text(data, "published", where, ""),
        withdrawn=_text(data, "withdrawn", where, ""),
        severity=_severity(data, where),
        database_severity=database_severity.upper() if isinstance(database_severity, str) else "",
        references=_references(data, where),
        affected=tuple(a for a in affected if a is not None),
    )


def package_names(data: Mapping[str, object], where: str) -> Iterable[NormalizedName]:
    """The PyPI packages a raw record names (for indexing).

    Only the shape of ``affected`` is checked (a list of mappings, each ``package`` a
    mapping), which is what finding the names reads: a record skipped for being
    malformed there would be a record silently missing from an offline audit, where the
    online one, which parses every record it is handed, fails.

    :raises AuditError: when ``affected`` is not of that shape.
    """
    for i, raw in enumerate(_list(data.get("affected"), where, "affected")):
        entry = _mapping(raw, where, f"affected[{i}]")
        package = _mapping(entry.get("package", {}), where, f"affected[{i}].package")
        if package.get("ecosystem") == ECOSYSTEM:
            name = package.get("name")
            if isinstance(name, str):
                yield canonicalize_name(name)
