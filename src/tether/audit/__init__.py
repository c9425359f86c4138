"""``tether audit``: known vulnerabilities of installed or locked packages.

What is audited (:mod:`tether.audit.inputs`) is a list of :class:`Package` (a PyPI name
and version); where the advisories come from is a :class:`Source`: the OSV API
(:class:`OnlineSource`, :mod:`tether.audit.client`) or an OSV export on disk
(:class:`OfflineSource`, :mod:`tether.audit.db`). Both hand back OSV records, and the
same code turns them into findings, so an online and an offline audit of the same
packages against the same records say the same.

Per package, records that alias each other (a PYSEC record and the GHSA record of the
same flaw both name ``CVE-2023-1234``, or name each other) are one finding: the PYSEC
record is kept (a MAL- report before it, then GHSA, then any other, then the smallest id), with the aliases of
all. Withdrawn records are dropped. Malicious-package reports (``MAL-`` ids) are kept
apart from the rest (:attr:`AuditReport.malicious`): such a package is removed, not
upgraded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tether.audit.osv import Advisory, parse_advisory, parse_version
from tether.audit.severity import Score, fails, rate

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from tether.audit.client import Client
    from tether.audit.db import Database

__all__ = [
    "AuditReport",
    "Finding",
    "OfflineSource",
    "OnlineSource",
    "Package",
    "Skipped",
    "Source",
    "audit",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class Package:
    """One PyPI distribution to audit."""

    #: PEP 503-normalized.
    name: str
    version: str

    @property
    def purl(self) -> str:
        """Its package URL (``pkg:pypi/name@version``)."""
        from urllib.parse import quote

        return f"pkg:pypi/{self.name}@{quote(self.version, safe='.+!')}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """A package that was not audited, and why (said in every output format)."""

    name: str
    version: str | None
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Finding:
    """One advisory that affects one package."""

    package: Package
    advisory: Advisory
    #: Of every record merged into this one, the ids and aliases but the kept id.
    aliases: tuple[str, ...]
    #: Versions above the installed one that the record names as fixed, smallest first.
    fixed_versions: tuple[str, ...]
    #: Every severity of the record, the one that decides first (:func:`tether.audit.severity.rate`).
    scores: tuple[Score, ...] = ()

    @property
    def id(self) -> str:
        return self.advisory.id

    @property
    def fix(self) -> str | None:
        """The smallest upgrade that clears this advisory, if the record names one."""
        return self.fixed_versions[0] if self.fixed_versions else None

    @property
    def band(self) -> str:
        """The severity band (``unknown`` when the record carries none)."""
        return self.scores[0].band if self.scores else "unknown"

    @property
    def malicious(self) -> bool:
        return self.advisory.malicious


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditReport:
    """What an audit found, ready to render."""

    #: ``osv`` (an OSV service) or ``db`` (an export on disk).
    source_kind: str
    #: The service's URL or the database's path.
    source: str
    packages: tuple[Package, ...]
    skipped: tuple[Skipped, ...] = ()
    #: Findings of ``MAL-`` reports, then of the rest, each in package order.
    malicious: tuple[Finding, ...] = ()
    findings: tuple[Finding, ...] = ()
    #: Findings left out by ``--ignore-vuln``.
    ignored: tuple[Finding, ...] = ()
    #: ``--fail-on``: the lowest band that fails; ``None``: any finding fails.
    fail_on: str | None = None
    #: The interpreter and the bound the packages came from, where they did.
    python: str | None = None
    lock: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def failing(self) -> tuple[Finding, ...]:
        """The findings that make the exit code 1: every malicious one, and those at or
        above ``--fail-on``."""
        return self.malicious + tuple(f for f in self.findings if fails(f.band, self.fail_on))


class Source(Protocol):
    """Where advisories come from."""

    kind: str
    location: str

    def lookup(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        """The records that affect each package (withdrawn ones may be among them).

        :raises AuditError: when the source cannot be read or answers wrongly.
        """


class OnlineSource:
    """An OSV service: it decides which records affect a package."""

    kind = "osv"

    def __init__(self, client: Client) -> None:
        self.client = client
        self.location = client.url

    def lookup(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        answers = self.client.lookup([(p.name, p.version) for p in packages])
        out: dict[Package, list[Advisory]] = {}
        for package in packages:
            records = answers[(package.name, package.version)]
            out[package] = [_parse_answer(self.client.url, raw) for raw in records]
        return out


def _parse_answer(url: str, raw: object) -> Advisory:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return parse_advisory(raw, f"{url}/v1/vulns/{ident}")


class OfflineSource:
    """An OSV export on disk, matched here with the semantics of :mod:`tether.audit.osv`."""

    kind = "db"

    def __init__(self, database: Database) -> None:
        self.database = database
        self.location = database.path

    def lookup(self, packages: Sequence[Package]) -> dict[Package, list[Advisory]]:
        out: dict[Package, list[Advisory]] = {}
        for package in packages:
            version = parse_version(package.version)
            candidates = self.database.advisories(package.name)
            out[package] = (
                []
                if version is None
                else [a for a in candidates if a.affects(package.name, version, package.version)]
            )
        return out


def _preference(advisory: Advisory) -> tuple[int, str]:
    prefix = advisory.id.split("-", 1)[0]
    return ({"MAL": -1, "PYSEC": 0, "GHSA": 1}.get(prefix, 2), advisory.id)


def _merged(advisories: Iterable[Advisory]) -> list[list[Advisory]]:
    """Records that alias each other, grouped; the preferred record first in each group."""
    groups: list[list[Advisory]] = []
    for advisory in sorted(set(advisories), key=_preference):
        names = {advisory.id, *advisory.aliases}
        home = next((g for g in groups if any(names & {a.id, *a.aliases} for a in g)), None)
        if home is None:
            groups.append([advisory])
        else:
            home.append(advisory)
    return groups


def _finding(package: Package, group: Sequence[Advisory]) -> Finding:
    """One finding of a group of records: the first's, with every other name as an alias,
    and the first severity any of them carries (a PYSEC record often has none where the
    GHSA record of the same flaw has a CVSS vector)."""
    kept = group[0]
    version = parse_version(package.version)
    fixes = kept.fixes(package.name, version) if version is not None else ()
    scored = [rate(a) for a in group]
    scores = next((s for s in scored if s and s[0].band != "unknown"), scored[0])
    return Finding(
        package=package,
        advisory=kept,
        aliases=tuple(sorted({n for a in group for n in (a.id, *a.aliases)} - {kept.id})),
        fixed_versions=tuple(str(v) for v in fixes),
        scores=scores,
    )


def audit(
    packages: Sequence[Package],
    source: Source,
    *,
    skipped: Sequence[Skipped] = (),
    ignore: Iterable[str] = (),
    fail_on: str | None = None,
    python: str | None = None,
    lock: str | None = None,
    notes: Sequence[str] = (),
) -> AuditReport:
    """Audit *packages* against *source*.

    :param ignore: advisory ids (or any of their aliases) to leave out.
    :raises AuditError: when the source cannot be read or answers wrongly.
    """
    packages = sorted(dict.fromkeys(packages), key=lambda p: (p.name, p.version))
    found = source.lookup(packages)
    # Case-insensitive, as ids are read by people: ``cve-2023-1`` is ``CVE-2023-1``.
    ignored_names = frozenset(i.upper() for i in ignore)
    malicious, findings, ignored = [], [], []
    for package in packages:
        live = [a for a in found.get(package, ()) if not a.withdrawn]
        for group in _merged(live):
            finding = _finding(package, group)
            if ignored_names & {finding.id.upper(), *(a.upper() for a in finding.aliases)}:
                ignored.append(finding)
            elif finding.malicious:
                malicious.append(finding)
            else:
                findings.append(finding)
    return AuditReport(
        source_kind=source.kind,
        source=source.location,
        packages=tuple(packages),
        skipped=tuple(skipped),
        malicious=tuple(malicious),
        findings=tuple(findings),
        ignored=tuple(ignored),
        fail_on=fail_on,
        python=python,
        lock=lock,
        notes=tuple(notes),
    )
