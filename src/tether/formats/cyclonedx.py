"""CycloneDX 1.6 JSON: components, and optionally the vulnerabilities that affect them.

Built with ``cyclonedx-python-lib`` (the CycloneDX project's own model and serializer),
so the document follows the schema by construction; the tests validate it against the
1.6 JSON schema. Shared by every command that writes a software bill of materials
(``tether audit --format cyclonedx``; ``validate`` and ``scan`` may follow): they hand
over plain :class:`Component` and :class:`Vulnerability` records and get the text back.

The library is imported inside :func:`render` only: it is large, and only this format
needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from packageurl import PackageURL

__all__ = ["Component", "Rating", "Vulnerability", "render"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Component:
    """One package in the bill of materials."""

    name: str
    version: str
    #: Its package URL (``pkg:pypi/name@version``); also its ``bom-ref`` unless one is given.
    purl: str
    #: ``(algorithm, hex digest)`` pairs, algorithm as CycloneDX names it (``SHA-256``).
    hashes: tuple[tuple[str, str], ...] = ()
    #: Its ``bom-ref`` when the purl is not unique in the document (the same release
    #: installed in several environments, as ``scan`` lists them); ``""``: the purl.
    bom_ref: str = ""
    #: ``(name, value)`` pairs (CycloneDX properties: ``tether:environment``, ...).
    properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Rating:
    """One severity rating of a vulnerability."""

    #: ``CVSSv2``, ``CVSSv3``, ``CVSSv31``, ``CVSSv4`` or ``other``.
    method: str
    #: ``none``, ``low``, ``medium``, ``high``, ``critical`` or ``unknown``.
    severity: str
    score: float | None = None
    vector: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class Vulnerability:
    """One advisory and the components (by purl) it affects."""

    id: str
    affects: tuple[str, ...]
    #: Other ids of the same flaw (CVE, GHSA), each with the database it comes from.
    aliases: tuple[str, ...] = ()
    description: str = ""
    detail: str = ""
    recommendation: str = ""
    ratings: tuple[Rating, ...] = ()
    #: URLs of advisories and reports.
    advisories: tuple[str, ...] = ()
    #: The database the id belongs to (``OSV``) and where its record can be read.
    source_name: str = ""
    source_url: str = ""


def _alias_source(alias: str) -> str:
    return {"CVE": "NVD", "GHSA": "GitHub Advisories", "PYSEC": "PyPA Advisory Database"}.get(
        alias.split("-", 1)[0], "OSV"
    )


def _exact_type() -> type[PackageURL]:
    """A ``PackageURL`` that the serializer writes as it was given (its ``text``): one
    parsed and written again by ``packageurl`` loses the escape of a ``/`` in a name
    (:func:`tether.formats.bom.purl`), and ``pkg:pypi/evil/requests`` then reads back as
    the package ``requests``."""
    from packageurl import PackageURL

    class Exact(PackageURL):
        text: str

        def to_string(self, encode: bool | None = True) -> str:
            return self.text

    return Exact


def _purl(exact: type[PackageURL], text: str) -> PackageURL:
    from packageurl import PackageURL

    purl = exact(**PackageURL.from_string(text).to_dict())
    purl.text = text  # type: ignore[attr-defined]
    return purl


def render(components: Sequence[Component], vulnerabilities: Sequence[Vulnerability] = ()) -> str:
    """The CycloneDX 1.6 JSON document of *components* and *vulnerabilities*, with a newline."""
    from decimal import Decimal

    from cyclonedx.model import HashAlgorithm, HashType, Property, XsUri
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
    from cyclonedx.model.vulnerability import (
        BomTarget,
        BomTargetVersionRange,
        VulnerabilityAdvisory,
        VulnerabilityRating,
        VulnerabilityReference,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )
    from cyclonedx.model.vulnerability import Vulnerability as CdxVulnerability
    from cyclonedx.output.json import JsonV1Dot6

    from tether import __version__

    exact = _exact_type()
    bom = Bom()
    bom.metadata.tools.components.add(CdxComponent(name="tether", version=__version__))
    versions = {}
    for c in components:
        versions[c.purl] = c.version
        bom.components.add(
            CdxComponent(
                name=c.name,
                version=c.version,
                bom_ref=c.bom_ref or c.purl,
                purl=_purl(exact, c.purl),
                hashes=[HashType(alg=HashAlgorithm(alg), content=digest) for alg, digest in c.hashes],
                properties=[Property(name=name, value=value) for name, value in c.properties],
            )
        )
    for v in vulnerabilities:
        source = VulnerabilitySource(
            name=v.source_name or None, url=XsUri(v.source_url) if v.source_url else None
        )
        bom.vulnerabilities.add(
            CdxVulnerability(
                bom_ref=f"{v.id}@{'+'.join(v.affects)}",
                id=v.id,
                source=source if (v.source_name or v.source_url) else None,
                references=[
                    VulnerabilityReference(id=a, source=VulnerabilitySource(name=_alias_source(a)))
                    for a in v.aliases
                ],
                ratings=[
                    VulnerabilityRating(
                        method=VulnerabilityScoreSource(r.method),
                        severity=VulnerabilitySeverity(r.severity),
                        score=Decimal(str(r.score)) if r.score is not None else None,
                        vector=r.vector or None,
                    )
                    for r in v.ratings
                ],
                description=v.description or None,
                detail=v.detail or None,
                recommendation=v.recommendation or None,
                advisories=[VulnerabilityAdvisory(url=XsUri(u)) for u in v.advisories],
                affects=[
                    BomTarget(
                        ref=purl,
                        versions=[
                            BomTargetVersionRange(
                                version=versions.get(purl), status=ImpactAnalysisAffectedStatus.AFFECTED
                            )
                        ]
                        if purl in versions
                        else None,
                    )
                    for purl in v.affects
                ],
            )
        )
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"
