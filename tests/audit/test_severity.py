"""CVSS base scores against the examples the FIRST specifications publish (acceptance 4)."""

from __future__ import annotations

import pytest

from tether.audit.osv import Advisory
from tether.audit.severity import band_of, fails, rate, score

# CVSS v3.1 Examples (FIRST, "Common Vulnerability Scoring System v3.1: Examples"):
# the vulnerability, its base vector and the base score the document gives.
V31 = [
    ("CVE-2013-1937 phpMyAdmin reflected XSS", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"),
    ("CVE-2013-0375 MySQL stored SQL injection", "AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "medium"),
    ("CVE-2014-3566 SSLv3 POODLE", "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "low"),
    ("CVE-2012-1516 VMware guest to host escape", "AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "critical"),
    ("CVE-2009-0783 Apache Tomcat XML parser", "AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "medium"),
    ("CVE-2012-0384 Cisco IOS command injection", "AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "high"),
    ("CVE-2015-1098 iWork denial of service", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "high"),
    ("CVE-2014-0160 OpenSSL Heartbleed", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "high"),
    ("CVE-2014-6271 GNU Bash Shellshock", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),
    ("CVE-2008-1447 DNS Kaminsky bug", "AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "medium"),
    ("CVE-2014-2005 Sophos login screen bypass", "AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "medium"),
    ("CVE-2010-0467 Joomla directory traversal", "AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "medium"),
]

# CVSS v4.0 (FIRST, "Common Vulnerability Scoring System v4.0: Examples" and the
# specification's worked vectors): vector and published CVSS-B score.
V40 = [
    ("highest vulnerable-system impact, network, no requirements",
     "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "critical"),
    ("CVE-2022-41741 nginx mp4 module", "AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.3, "high"),
    ("CVE-2021-44228 Log4Shell", "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, "critical"),
    ("low impact on the vulnerable system only",
     "AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, "medium"),
    ("no impact at all", "AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, "none"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "vector", "base", "band"), V31, ids=[v[0] for v in V31])
def test_cvss_v31_base_scores_match_the_specification(what: str, vector: str, base: float, band: str) -> None:
    scored = score("CVSS_V3", f"CVSS:3.1/{vector}")
    assert (scored.base, scored.band) == (base, band)


@pytest.mark.parametrize(("what", "vector", "base", "band"), V40, ids=[v[0] for v in V40])
def test_cvss_v40_base_scores_match_the_specification(what: str, vector: str, base: float, band: str) -> None:
    scored = score("CVSS_V4", f"CVSS:4.0/{vector}")
    assert (scored.base, scored.band) == (base, band)


@pytest.mark.parametrize(
    ("base", "band"),
    [(0.0, "none"), (0.1, "low"), (3.9, "low"), (4.0, "medium"), (6.9, "medium"), (7.0, "high"),
     (8.9, "high"), (9.0, "critical"), (10.0, "critical")],
)  # fmt: skip
def test_bands_are_the_specifications_ratings(base: float, band: str) -> None:
    assert band_of(base) == band


def test_a_vector_the_library_refuses_is_unknown_not_guessed() -> None:
    assert score("CVSS_V3", "CVSS:3.1/AV:N/garbage").band == "unknown"
    assert score("UBUNTU", "high").base is None


def test_the_newest_cvss_version_decides_then_a_severity_word() -> None:
    both = Advisory(id="X", severity=(("CVSS_V3", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"),
                                      ("CVSS_V4", "CVSS:4.0/" + V40[0][1])))  # fmt: skip
    assert [s.kind for s in rate(both)] == ["CVSS_V4", "CVSS_V3"]
    assert rate(Advisory(id="G", database_severity="MODERATE"))[0].band == "medium"
    assert rate(Advisory(id="N")) == ()


@pytest.mark.parametrize(
    ("band", "threshold", "failing"),
    [("low", None, True), ("low", "medium", False), ("medium", "medium", True), ("critical", "high", True),
     ("high", "critical", False), ("unknown", "critical", True), ("none", "low", False)],
)  # fmt: skip
def test_fail_on(band: str, threshold: str | None, failing: bool) -> None:
    assert fails(band, threshold) is failing
