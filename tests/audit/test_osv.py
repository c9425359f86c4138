"""OSV matching semantics on real records, and on the corner cases the schema defines."""

from __future__ import annotations

import pytest
import yaml
from packaging.version import Version

from tests.audit.osv_server import RECORDS
from tether.audit.osv import parse_advisory
from tether.errors import AuditError


def record(package: str, ident: str):
    path = RECORDS / package / f"{ident}.yaml"
    return parse_advisory(yaml.load(path.read_text(), Loader=yaml.BaseLoader), str(path))


@pytest.mark.parametrize(
    ("package", "ident", "version", "affected"),
    [
        pytest.param("py", "PYSEC-2020-92", "1.9.0", True, id="below-fixed"),
        pytest.param("py", "PYSEC-2020-92", "1.10.0", False, id="at-fixed"),
        pytest.param("py", "PYSEC-2022-42969", "1.11.0", True, id="at-last-affected"),
        pytest.param("py", "PYSEC-2022-42969", "1.11.1", False, id="above-last-affected"),
        pytest.param("sqlparse", "PYSEC-2021-333", "0.3.1", False, id="below-introduced"),
        pytest.param("sqlparse", "PYSEC-2021-333", "0.4.0", True, id="at-introduced"),
        # Events listed 2.x first, then 1.x: sorted before they apply.
        pytest.param("urllib3", "PYSEC-2023-192", "1.26.4", True, id="unsorted-events-1x"),
        pytest.param("urllib3", "PYSEC-2023-192", "1.26.17", False, id="unsorted-events-1x-fixed"),
        pytest.param("urllib3", "PYSEC-2023-192", "2.0.5", True, id="unsorted-events-2x"),
        pytest.param("urllib3", "PYSEC-2023-192", "2.0.6", False, id="unsorted-events-2x-fixed"),
        pytest.param("urllib3", "PYSEC-2023-192", "1.999", False, id="between-ranges"),
        # introduced 0 with no end: every version, beyond the explicit list.
        pytest.param("apache-skywalking", "PYSEC-2020-342", "9.0.0", True, id="open-range"),
        # Withdrawn: affects nothing, though its range covers every version.
        pytest.param("redis", "PYSEC-2023-73", "2.10.0", False, id="withdrawn"),
    ],
)
def test_a_record_affects_what_its_ranges_and_versions_say(
    package: str, ident: str, version: str, affected: bool
) -> None:
    assert record(package, ident).affects(package, Version(version)) is affected


def test_the_fix_is_the_smallest_fixed_version_above_that_clears_it() -> None:
    adv = record("urllib3", "PYSEC-2023-192")
    assert [str(v) for v in adv.fixes("urllib3", Version("1.26.4"))] == ["1.26.17", "2.0.6"]
    # 2.0.0 to 2.0.5: 1.26.17 is below, so only 2.0.6 clears it.
    assert [str(v) for v in adv.fixes("urllib3", Version("2.0.1"))] == ["2.0.6"]
    assert record("py", "PYSEC-2022-42969").fixes("py", Version("1.9.0")) == ()


def test_an_explicit_version_matches_as_written() -> None:
    adv = parse_advisory(
        {
            "id": "X-1",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"}, "versions": ["1.0"]}],
        },
        "x.json",
    )
    assert adv.affects("foo-bar", Version("1.0.0"))  # PEP 440 equal
    assert not adv.affects("foo-bar", Version("1.1"))
    assert not adv.affects("other", Version("1.0"))


def test_events_that_are_not_pep_440_are_ignored() -> None:
    adv = parse_advisory(
        {"id": "X-2", "affected": [{"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0.6m4"}, {"introduced": "1.0"}, {"fixed": "2.0"}]},
            {"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "0"}]},
        ]}]},
        "x.json",
    )  # fmt: skip
    assert not adv.affects("p", Version("0.7"))
    assert adv.affects("p", Version("1.5"))
    assert not adv.affects("p", Version("2.0"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], "r.json: not an OSV record: expected a JSON/YAML mapping", id="not-a-mapping"),
        pytest.param(
            {"affected": []}, "r.json: not an OSV record: in 'id', expected a non-empty string", id="no-id"
        ),
        pytest.param(
            {"id": "X", "affected": {"package": {}}},
            "r.json: not an OSV record: in 'affected', expected a list",
            id="affected-not-a-list",
        ),
        pytest.param(
            {
                "id": "X",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "p"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": 2}]}],
                    }
                ],
            },
            "r.json: not an OSV record: in 'affected[0].ranges[0].events[0].fixed', expected a version string",
            id="event-not-a-string",
        ),
    ],
)
def test_what_is_not_an_osv_record_is_named(data: object, message: str) -> None:
    with pytest.raises(AuditError) as caught:
        parse_advisory(data, "r.json")
    assert str(caught.value) == message


def test_a_listed_version_too_long_for_int_is_no_version() -> None:
    """A listed version of more digits than ``int()`` converts is not a PEP 440 version
    (``packaging`` cannot parse it either): it matches as written, never a traceback."""
    long = "1" * 5000
    affected = {"package": {"ecosystem": "PyPI", "name": "p"}, "versions": [long, "1.0"]}
    advisory = parse_advisory({"id": "X-1", "affected": [affected]}, "r.json")
    assert advisory.affects("p", Version("1.0.0"), "1.0.0")
    assert not advisory.affects("p", Version("2.0"), "2.0")


#: PYSEC-2023-72 (pyspark), its events as the record lists them: three adjacent ranges,
#: the one in the middle last, so that after sorting "fixed: 3.1.1" and "introduced:
#: 3.1.1" are at one version. OSV sorts by version alone (a stable sort: the record's
#: order breaks the tie) and expanded the record's own versions list from that:
#: 3.1.1-3.1.3 affected, 3.2.0 and 3.2.1 not.
PYSPARK_EVENTS = [
    {"introduced": "0"}, {"fixed": "3.1.1"}, {"introduced": "3.2.0"},
    {"fixed": "3.2.2"}, {"introduced": "3.1.1"}, {"fixed": "3.2.0"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("version", "affected"),
    [("3.0.3", True), ("3.1.1", True), ("3.1.2.post1", True), ("3.1.4", True), ("3.2.0", False),
     ("3.2.1", False), ("3.2.2", False)],
)  # fmt: skip
def test_events_at_one_version_apply_in_the_records_order(version: str, affected: bool) -> None:
    # Ordering ties "introduced before fixed" made every 3.1.x that is not in the
    # versions list (a post release, a release newer than the record) unaffected offline,
    # where OSV reports it.
    advisory = parse_advisory(
        {
            "id": "PYSEC-2023-72",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "pyspark"},
                 "ranges": [{"type": "ECOSYSTEM", "events": PYSPARK_EVENTS}]}
            ],
        },
        "PYSEC-2023-72",
    )  # fmt: skip
    assert advisory.affects("pyspark", Version(version)) is affected
