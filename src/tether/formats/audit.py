"""The reports of ``tether audit``: a table, the JSON contract, CycloneDX.

``--format json`` is a stable contract, an object with:

- ``vulnerable`` (bool: any finding, malicious or not, ignored ones aside) and ``failed``
  (bool: a finding at or above ``--fail-on``, or a malicious one: the exit code is 1);
- ``malicious`` and ``findings``: lists of findings (``MAL-`` reports apart, first), each
  ``{"name", "version", "id", "aliases", "summary", "fix", "fixed_versions", "severity",
  "severities", "references", "published", "modified", "fails"}``: ``name`` PEP
  503-normalized; ``fix`` the smallest upgrade that clears it or ``null``;
  ``fixed_versions`` every fixed version above the installed one, smallest first;
  ``severity`` the deciding ``{"kind", "vector", "score", "band"}`` (``band`` one of
  ``none``, ``low``, ``medium``, ``high``, ``critical``, ``unknown``; ``score`` a number
  or ``null``) or ``null`` when the record has none; ``severities`` all of them;
- ``ignored``: the findings ``--ignore-vuln`` left out, in the same form;
- ``packages``: what was audited, ``{"name", "version", "purl"}``; ``skipped``:
  ``{"name", "version", "reason"}`` for what was not (never silently: an audit of nothing
  says so);
- ``summary``: ``{"packages", "skipped", "vulnerable_packages", "findings", "malicious",
  "ignored", "by_band"}`` (``by_band`` counts findings by band, every band present);
- ``source``: ``{"kind": "osv"|"db", "location": URL or path}``; ``fail_on`` (a band or
  ``null``); ``python`` and ``lock`` (where the packages came from, or ``null``);
  ``tether_version``; ``schema`` (an integer, raised only if a key ever changes meaning).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tether import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tether.audit import AuditReport, Finding
    from tether.audit.severity import Score

__all__ = ["SCHEMA", "render"]

SCHEMA = 1
_BANDS = ("none", "low", "medium", "high", "critical", "unknown")


def render(report: AuditReport, fmt: str) -> str:
    """*report* in format *fmt* (``text``, ``json`` or ``cyclonedx``)."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n"
    if fmt == "cyclonedx":
        return cyclonedx(report)
    return text(report)


def _score(s: Score) -> dict[str, object]:
    return {"kind": s.kind, "vector": s.vector or None, "score": s.base, "band": s.band}


def _finding(f: Finding, report: AuditReport) -> dict[str, object]:
    from tether.audit.severity import fails

    return {
        "name": f.package.name,
        "version": f.package.version,
        "id": f.id,
        "aliases": list(f.aliases),
        "summary": f.advisory.summary,
        "fix": f.fix,
        "fixed_versions": list(f.fixed_versions),
        "severity": _score(f.scores[0]) if f.scores else None,
        "severities": [_score(s) for s in f.scores],
        "references": list(f.advisory.references),
        "published": f.advisory.published or None,
        "modified": f.advisory.modified or None,
        "fails": f.malicious or fails(f.band, report.fail_on),
    }


def to_json(report: AuditReport) -> dict[str, object]:
    """The JSON contract (see the module's docstring) as a dict."""
    every = report.malicious + report.findings
    return {
        "vulnerable": bool(every),
        "failed": bool(report.failing),
        "malicious": [_finding(f, report) for f in report.malicious],
        "findings": [_finding(f, report) for f in report.findings],
        "ignored": [_finding(f, report) for f in report.ignored],
        "packages": [{"name": p.name, "version": p.version, "purl": p.purl} for p in report.packages],
        "skipped": [{"name": s.name, "version": s.version, "reason": s.reason} for s in report.skipped],
        "summary": {
            "packages": len(report.packages),
            "skipped": len(report.skipped),
            "vulnerable_packages": len({f.package for f in every}),
            "findings": len(report.findings),
            "malicious": len(report.malicious),
            "ignored": len(report.ignored),
            "by_band": {band: sum(f.band == band for f in report.findings) for band in _BANDS},
        },
        "source": {"kind": report.source_kind, "location": report.source},
        "fail_on": report.fail_on,
        "python": report.python,
        "lock": report.lock,
        "tether_version": __version__,
        "schema": SCHEMA,
    }


def _severity_cell(f: Finding) -> str:
    if not f.scores:
        return "unknown"
    best = f.scores[0]
    return best.band if best.base is None else f"{best.band} {best.base:.1f}"


#: C0 and C1 controls, DEL, and the bidirectional overrides: what a record could use to
#: move the cursor, erase what was printed, or reorder what is read.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def _clean(text: str) -> str:
    """*text* on one line without control characters: a record's text (from a file or a
    service) must not redraw the terminal, e.g. a ``\\r`` that prints "no known
    vulnerabilities" over the findings."""
    return _CONTROLS.sub(" ", text)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    rows = [tuple(_clean(cell) for cell in row) for row in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def text(report: AuditReport) -> str:
    """The table: malicious packages first and apart, then the findings, then a summary."""
    from tether.formats.text import plural

    lines: list[str] = []
    if report.malicious:
        lines.append("MALICIOUS packages (remove them and treat the environment as compromised):")
        mal = [
            (f.package.name, f.package.version, f.id, _shorten(f.advisory.summary)) for f in report.malicious
        ]
        lines += _table(("package", "version", "id", "summary"), mal)
        lines.append("")
    if report.findings:
        rows = [
            (
                f.package.name,
                f.package.version,
                f.id,
                ", ".join(f.aliases) or "-",
                _severity_cell(f),
                f.fix or "-",
                _shorten(f.advisory.summary),
            )
            for f in report.findings
        ]
        lines += _table(("package", "version", "id", "aliases", "severity", "fix", "summary"), rows)
        lines.append("")
    audited = plural(len(report.packages), "package")
    where = f"{'OSV at ' if report.source_kind == 'osv' else 'the advisories in '}{report.source}"
    every = report.malicious + report.findings
    if every:
        vulnerable = len({f.package for f in every})
        lines.append(
            f"found {len(report.findings)} known vulnerabilit{'y' if len(report.findings) == 1 else 'ies'}"
            + (f" and {plural(len(report.malicious), 'malicious package')}" if report.malicious else "")
            + f" in {vulnerable} of {audited} ({where})"
        )
        failing = len(report.failing)
        if report.fail_on is not None:
            lines.append(
                f"{failing} at or above --fail-on {report.fail_on} (or malicious, or of unknown severity)"
            )
    else:
        lines.append(f"no known vulnerabilities in {audited} ({where})")
    if report.ignored:
        lines.append(
            "ignored: "
            + _clean(", ".join(f"{f.id} ({f.package.name} {f.package.version})" for f in report.ignored))
        )
    if report.skipped:
        lines.append(f"not audited: {plural(len(report.skipped), 'package')}")
        lines += [f"  {s.name}{' ' + s.version if s.version else ''}: {s.reason}" for s in report.skipped]
    return "\n".join(lines) + "\n"


_METHODS = {"CVSS_V4": "CVSSv4", "CVSS_V2": "CVSSv2"}


def _method(s: Score) -> str:
    if s.kind == "CVSS_V3":
        return "CVSSv31" if s.vector.startswith("CVSS:3.1/") else "CVSSv3"
    return _METHODS.get(s.kind, "other")


def cyclonedx(report: AuditReport) -> str:
    """CycloneDX 1.6 JSON: the audited packages, and one vulnerability per advisory."""
    from tether.formats.cyclonedx import Component, Rating, Vulnerability, render

    components = [Component(name=p.name, version=p.version, purl=p.purl) for p in report.packages]
    by_id: dict[str, list[Finding]] = {}
    for f in report.malicious + report.findings:
        by_id.setdefault(f.id, []).append(f)
    vulnerabilities = []
    for ident, findings in by_id.items():
        first = findings[0]
        fixes = [f"{f.package.name} {f.fix}" for f in findings if f.fix]
        recommendation = (
            "Remove this package: it is malicious."
            if first.malicious
            else (f"Upgrade to {', '.join(fixes)}." if fixes else "")
        )
        vulnerabilities.append(
            Vulnerability(
                id=ident,
                affects=tuple(f.package.purl for f in findings),
                aliases=first.aliases,
                description=first.advisory.summary,
                detail=first.advisory.details,
                recommendation=recommendation,
                ratings=tuple(
                    Rating(method=_method(s), severity=s.band, score=s.base, vector=s.vector)
                    for s in first.scores
                ),
                advisories=first.advisory.references,
                source_name="OSV",
                source_url=f"{report.source}/v1/vulns/{ident}" if report.source_kind == "osv" else "",
            )
        )
    return render(components, vulnerabilities)
