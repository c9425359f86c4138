"""The runtime's PEP 610 reader (stdlib only) against ``packaging.direct_url``, the reference.

Whenever ``DirectUrl.from_dict`` accepts a document, the runtime accepts it too and reads
the same fields (kind, normalised URL, VCS, commit, requested revision, directory,
editable); whenever the runtime rejects one, ``packaging`` rejects it too. The runtime
is more lenient in one known way, listed in :data:`LENIENT`: it does not check the
hashes of an ``archive_info``, which it never compares (a hash says nothing about
*where* a distribution came from).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.direct_url import DirectUrl, DirectUrlValidationError

from tether.runtime.metadata import normalize_url, read_source, source_from_dict

FIXED = settings(max_examples=400, derandomize=True, database=None, deadline=None)


def reference(data: Any) -> tuple[object, ...] | None:
    """The source key ``packaging`` reads from *data*, or ``None`` when it rejects it."""
    try:
        direct = DirectUrl.from_dict(data)
    except (DirectUrlValidationError, ValueError, TypeError, AttributeError):
        # A non-mapping fails on .get (AttributeError); a malformed URL in urlsplit (ValueError).
        return None
    if direct.vcs_info is not None:
        info = direct.vcs_info
        return ("vcs", info.vcs, normalize_url(direct.url), info.commit_id, info.requested_revision or "")
    if direct.dir_info is not None:
        path = os.path.normpath(unquote(urlsplit(direct.url).path))
        return ("dir", path, bool(direct.dir_info.editable))
    return ("url", normalize_url(direct.url))


def runtime(data: Any) -> tuple[object, ...] | None:
    """The runtime's reading; it may raise ``ValueError`` only (anything else would stop
    the scan, in the hook and in ``tether validate``)."""
    try:
        return source_from_dict(data)
    except ValueError:
        return None


def lenient(data: Any) -> bool:
    """Whether *data* is rejected by ``packaging`` only for what the runtime does not read:
    the ``hashes``/``hash`` of an ``archive_info``."""
    if not isinstance(data, dict) or not isinstance(data.get("archive_info"), dict):
        return False
    info = {k: v for k, v in data["archive_info"].items() if k not in {"hashes", "hash"}}
    return reference({**data, "archive_info": info}) is not None


# -- documents -----------------------------------------------------------------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
URL = st.sampled_from(
    [
        "https://github.com/pypa/sampleproject.git",
        "git+https://GitHub.com/pypa/SampleProject.git/",
        "git+ssh://git@github.com/pypa/sampleproject.git#egg=sampleproject",
        "https://user:secret@files.example/pkg-1.0.tar.gz",
        "https://files.example/pkg-1.0-py3-none-any.whl#sha256=abc",
        "file:///srv/pkgs/pkg-1.0.tar.gz",
        "file:///home/me/src/proj",
        "file:///home/me/src/my%20proj/../proj/",
        "FILE:///home/me/src/proj",
        "file:/home/me/src/proj",
        "file://localhost/home/me/src/proj",
        "file://relative",
        "file:relative/proj",
        "file://[::1",
        "/home/me/src/proj",
        "relative/proj",
        " file:///home/me/src/proj",
        "",
    ]
)
TEXT = st.sampled_from(["git", "hg", "", "main", "v1.0", "1a2b3c4d" * 5, "ü"])


def field(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value for a field: mostly a good one, sometimes null or junk."""
    return good | good | st.none() | JUNK


def document(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with some of *fields* (each may be left out) and perhaps unknown keys."""
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda d: st.dictionaries(st.sampled_from(["x-unknown", "hashes", "extra"]), JUNK, max_size=1).map(
            lambda extra: {**extra, **d}
        )
    )


VCS_INFO = document(vcs=field(TEXT), commit_id=field(TEXT), requested_revision=field(TEXT))
HASHES = st.dictionaries(st.sampled_from(["sha256", "md5"]), st.text("0123456789abcdef", max_size=4))
ARCHIVE_INFO = document(
    hashes=field(HASHES), hash=field(st.sampled_from(["sha256=abc", "md5=0", "sha256", "=", ""]))
)
DIR_INFO = document(editable=field(st.booleans()))
DIRECT_URL = document(
    url=field(URL),
    vcs_info=field(VCS_INFO),
    archive_info=field(ARCHIVE_INFO),
    dir_info=field(DIR_INFO),
    subdirectory=field(st.sampled_from(["", "sub/dir", "."])),
)
ANY_JSON = DIRECT_URL | JUNK

HAND_WRITTEN: list[Any] = [
    # What installers write.
    {"url": "https://github.com/pypa/sampleproject", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
    {
        "url": "git+https://github.com/pypa/sampleproject.git",
        "vcs_info": {"vcs": "git", "requested_revision": "main", "commit_id": "abc123"},
        "subdirectory": "src",
    },
    {"url": "https://files.example/pkg-1.0.tar.gz", "archive_info": {"hashes": {"sha256": "abc"}}},
    {"url": "https://files.example/pkg-1.0.tar.gz", "archive_info": {"hash": "sha256=abc"}},
    {"url": "file:///home/me/proj", "dir_info": {"editable": True}},
    {"url": "file:///home/me/proj", "dir_info": {}},
    # Null is absent.
    {"url": "file:///home/me/proj", "dir_info": {"editable": None}},
    {"url": "file:///home/me/proj", "dir_info": {}, "archive_info": None, "vcs_info": None},
    {"url": "https://x/y", "vcs_info": {"vcs": "git", "commit_id": "abc", "requested_revision": None}},
    {"url": "https://x/y", "archive_info": {}, "subdirectory": None},
    # Any spelling of a file URL that urlsplit reads as an absolute path.
    {"url": "FILE:///home/me/proj", "dir_info": {}},
    {"url": "file:/home/me/proj", "dir_info": {}},
    {"url": "file://localhost/home/me/proj", "dir_info": {}},
    # Rejected by both.
    {"url": "file://relative", "dir_info": {}},
    {"url": "https://host/proj", "dir_info": {}},
    {"url": "/home/me/proj", "dir_info": {}},
    {"url": "file://[::1", "dir_info": {}},
    {"url": "https://x/y", "dir_info": {}, "archive_info": {}},
    {"url": "https://x/y"},
    {"url": None, "archive_info": {}},
    {"url": 1, "archive_info": {}},
    {"archive_info": {}},
    {"url": "https://x/y", "archive_info": []},
    {"url": "https://x/y", "vcs_info": {"vcs": "git"}},
    {"url": "https://x/y", "vcs_info": {"commit_id": "abc"}},
    {"url": "https://x/y", "vcs_info": {"vcs": 1, "commit_id": "abc"}},
    {"url": "https://x/y", "vcs_info": {"vcs": "git", "commit_id": "abc", "requested_revision": 3}},
    {"url": "file:///p", "dir_info": {"editable": "yes"}},
    {"url": "file:///p", "dir_info": {"editable": 1}},
    {"url": "https://x/y", "archive_info": {}, "subdirectory": ["a"]},
    # Not an object.
    None,
    [],
    ["url"],
    "https://x/y",
    3,
    True,
]


def check_agreement(data: Any) -> None:
    expected = reference(data)
    got = runtime(data)
    if expected is not None:
        assert got == expected, data
    elif got is not None:
        assert lenient(data), f"accepted by the runtime only: {data!r} -> {got!r}"


@settings(FIXED)
@given(ANY_JSON)
def test_generated_documents_agree_with_packaging(data: Any) -> None:
    check_agreement(data)


@pytest.mark.parametrize("data", HAND_WRITTEN, ids=lambda d: json.dumps(d)[:60])
def test_hand_written_documents_agree_with_packaging(data: Any) -> None:
    check_agreement(data)


#: Accepted by the runtime, rejected by packaging: archive hashes, which the runtime does
#: not read. Neither changes a verdict (an archive is compared by its URL).
LENIENT = [
    {"url": "https://x/y.tar.gz", "archive_info": {"hash": "no-equals-sign"}},
    {"url": "https://x/y.tar.gz", "archive_info": {"hashes": {"sha256": 1}}},
    {"url": "https://x/y.tar.gz", "archive_info": {"hashes": "sha256=abc"}},
    {"url": "https://x/y.tar.gz", "archive_info": {"hashes": {"sha256": "a"}, "hash": "md5=b"}},
    {"url": "https://x/y.tar.gz", "archive_info": {"hashes": {"sha256": "a"}, "hash": "sha256=b"}},
]


@pytest.mark.parametrize("data", LENIENT, ids=lambda d: json.dumps(d["archive_info"]))
def test_archive_hashes_are_not_read(data: dict[str, Any]) -> None:
    assert reference(data) is None
    assert runtime(data) == ("url", "https://x/y.tar.gz")


@example({"url": "https://x/y", "vcs_info": {"vcs": "git", "commit_id": "abc"}, "archive_info": None})
@settings(FIXED, max_examples=100)
@given(DIRECT_URL)
def test_the_scan_reads_the_same_source_from_a_file(
    tmp_path_factory: pytest.TempPathFactory, data: Any
) -> None:
    """What the scan reads from a ``direct_url.json`` on disk is the same reading, or
    unreadable (reported as ``invalid``) exactly when ``source_from_dict`` rejects it."""
    dist = tmp_path_factory.mktemp("dist") / "pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "direct_url.json").write_text(json.dumps(data), encoding="utf-8")
    got = read_source(str(dist))
    expected = runtime(data)
    if expected is None:
        assert got[:1] == ("unreadable",), (data, got)
    else:
        assert got == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe{}",
        b'{"url": "https://x/y", "archive_info": {}',
        b"[" * 100_000 + b"]" * 100_000,  # deeper than json's recursion limit
        b'{"url": "https://x/y", "archive_info": {"n": ' + b"1" * 5000 + b"}}",  # beyond int()'s digit limit
        b"null",
        b"[]",
        b'"https://x/y"',
    ],
    ids=["empty", "not-json", "not-utf8", "truncated", "deep", "huge-int", "null", "list", "string"],
)
def test_unreadable_files_are_a_problem_never_an_exception(tmp_path: Path, raw: bytes) -> None:
    dist = tmp_path / "pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "direct_url.json").write_bytes(raw)
    got = read_source(str(dist))
    assert got[0] == "unreadable" and isinstance(got[1], str)


def test_no_direct_url_is_an_index_install(tmp_path: Path) -> None:
    dist = tmp_path / "pkg-1.0.dist-info"
    dist.mkdir()
    assert read_source(str(dist)) == ()
