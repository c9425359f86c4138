"""The shared CycloneDX writer: valid CycloneDX 1.6, with or without vulnerabilities."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tether.formats.cyclonedx import Component, Rating, Vulnerability, render

SIX = Component(
    name="six",
    version="1.16.0",
    purl="pkg:pypi/six@1.16.0",
    hashes=(("SHA-256", "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"),),
)
IDNA = Component(name="idna", version="3.6", purl="pkg:pypi/idna@3.6")


def test_components_alone_are_a_valid_bom() -> None:
    out = render([SIX, IDNA])
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out) is None
    bom = json.loads(out)
    assert "vulnerabilities" not in bom or bom["vulnerabilities"] == []
    six = next(c for c in bom["components"] if c["name"] == "six")
    assert six["bom-ref"] == six["purl"] == "pkg:pypi/six@1.16.0"
    assert six["hashes"] == [{"alg": "SHA-256", "content": SIX.hashes[0][1]}]
    assert bom["metadata"]["tools"]["components"][0]["name"] == "tether"


def test_vulnerabilities_point_at_their_components() -> None:
    vuln = Vulnerability(
        id="PYSEC-2024-60",
        affects=(IDNA.purl,),
        aliases=("CVE-2024-3651",),
        description="A vulnerability was identified in the kjd/idna library",
        recommendation="Upgrade to idna 3.7.",
        ratings=(
            Rating(
                method="CVSSv31",
                severity="high",
                score=7.5,
                vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            ),
        ),
        advisories=("https://github.com/kjd/idna/security/advisories/GHSA-jjg7-2v4v-x38h",),
        source_name="OSV",
    )
    out = render([SIX, IDNA], [vuln])
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out) is None
    (found,) = json.loads(out)["vulnerabilities"]
    assert found["affects"] == [
        {"ref": "pkg:pypi/idna@3.6", "versions": [{"version": "3.6", "status": "affected"}]}
    ]
    assert found["references"] == [{"id": "CVE-2024-3651", "source": {"name": "NVD"}}]
    assert found["ratings"][0]["score"] == 7.5
