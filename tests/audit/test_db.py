"""The offline database: an all.zip of JSON records or a directory of YAML/JSON records."""

from __future__ import annotations

import os
import re
import zipfile
from typing import TYPE_CHECKING

import pytest

from tether.audit.db import open_database
from tether.errors import AuditError

if TYPE_CHECKING:
    from pathlib import Path


def test_a_zip_and_a_directory_of_the_same_records_index_the_same(
    records_dir: Path, all_zip: Path, cache_dir: Path
) -> None:
    folder, archive = open_database(str(records_dir)), open_database(str(all_zip))
    assert len(folder) == len(archive) == 32
    for name in ("py", "urllib3", "redis", "tether-test-malware-example"):
        assert sorted(folder.advisories(name), key=str) == sorted(archive.advisories(name), key=str)
        assert folder.advisories(name)
    assert folder.advisories("not-a-package") == ()


def test_the_index_is_cached_until_a_record_changes(records_dir: Path, cache_dir: Path) -> None:
    assert [a.id for a in open_database(str(records_dir)).advisories("idna")] == ["PYSEC-2024-60"]
    assert list(cache_dir.glob("osv-db-*.marshal"))
    extra = records_dir / "idna" / "PYSEC-2099-1.yaml"
    extra.write_text(
        "id: PYSEC-2099-1\naffected:\n- package: {ecosystem: PyPI, name: idna}\n  versions: ['3.6']\n"
    )
    assert sorted(a.id for a in open_database(str(records_dir)).advisories("idna")) == [
        "PYSEC-2024-60",
        "PYSEC-2099-1",
    ]
    extra.unlink()
    assert [a.id for a in open_database(str(records_dir)).advisories("idna")] == ["PYSEC-2024-60"]


def test_a_record_is_named_as_the_database_was_named_in_this_run(
    records_dir: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cached index is not told for another spelling of the same folder: its
    messages would name a path that does not lead to the record from here."""
    (records_dir / "bad.yaml").write_text(
        "id: X-1\naliases: not-a-list\naffected:\n- package: {ecosystem: PyPI, name: idna}\n"
    )
    monkeypatch.chdir(records_dir.parent)
    with pytest.raises(AuditError, match=r"^records/bad\.yaml: "):
        open_database("records").advisories("idna")
    monkeypatch.chdir(records_dir)
    with pytest.raises(AuditError, match=r"^\./bad\.yaml: "):
        open_database(".").advisories("idna")


def test_the_index_is_not_kept_across_a_change_of_tethers_code(records_dir: Path, cache_dir: Path) -> None:
    import tether.audit.db
    from tether import _cache

    open_database(str(records_dir))
    module = tether.audit.db.__file__
    assert module is not None
    before = os.stat(module)
    try:
        # Newer than the newest module: the stamp is the newest modification of any.
        os.utime(module, ns=(before.st_atime_ns, _cache._code_stamp() + 10**9))
        open_database(str(records_dir))
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert len(list(cache_dir.glob("osv-db-*.marshal"))) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("bad.yaml", "id: [unclosed\n", "records/bad.yaml: invalid YAML (", id="yaml"),
        pytest.param("bad.json", "{", "records/bad.json: invalid JSON (", id="json"),
        pytest.param(
            "bad.yaml", "- a list\n", "records/bad.yaml: not an OSV record: expected a mapping", id="list"
        ),
    ],
)
def test_a_record_that_cannot_be_read_is_named(
    records_dir: Path, cache_dir: Path, name: str, content: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (records_dir / name).write_text(content)
    monkeypatch.chdir(records_dir.parent)
    with pytest.raises(AuditError) as caught:
        open_database("records")
    assert str(caught.value).startswith(message)


def test_what_is_neither_a_zip_nor_a_directory_is_refused(tmp_path: Path, cache_dir: Path) -> None:
    junk = tmp_path / "all.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(AuditError, match=r"all\.zip: not an OSV all\.zip nor a directory of records"):
        open_database(str(junk))
    with pytest.raises(AuditError, match="no such file or directory"):
        open_database(str(tmp_path / "missing"))
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("PYSEC-1.json", "[1, 2")
    with pytest.raises(AuditError, match=r"all\.zip:PYSEC-1\.json: invalid JSON"):
        open_database(str(junk))


def test_a_fifo_among_the_records_is_refused_not_waited_on(records_dir: Path, cache_dir: Path) -> None:
    # Opening a FIFO for reading blocks until a writer comes: the audit would hang.
    os.mkfifo(records_dir / "PYSEC-2099-9.json")
    with pytest.raises(AuditError, match=r"PYSEC-2099-9\.json: not a regular file"):
        open_database(str(records_dir))


def test_a_database_that_is_neither_a_file_nor_a_directory_is_named_so(cache_dir: Path) -> None:
    with pytest.raises(AuditError, match=r"^/dev/null: not a regular file nor a directory"):
        open_database("/dev/null")


@pytest.mark.parametrize(
    ("content", "key"),
    [
        pytest.param('{"id": "X-1", "affected": {"package": {"ecosystem": "PyPI"}}}', "'affected'", id="map"),
        pytest.param('{"id": "X-1", "affected": ["idna"]}', "'affected[0]'", id="entry"),
        pytest.param(
            '{"id": "X-1", "affected": [{"package": ["PyPI", "idna"]}]}',
            "'affected[0].package'",
            id="package",
        ),
    ],
)
def test_a_record_whose_affected_is_malformed_is_refused_not_skipped(
    records_dir: Path, cache_dir: Path, content: str, key: str
) -> None:
    # Online, the same record fails the run (the client parses it); offline it was
    # indexed under no package and the audit said "no known vulnerabilities".
    (records_dir / "X-1.json").write_text(content)
    with pytest.raises(AuditError, match=re.escape(f"X-1.json: not an OSV record: in {key}")):
        open_database(str(records_dir))


def test_a_database_without_a_pypi_record_is_refused(tmp_path: Path, cache_dir: Path) -> None:
    # A --db pointing at the wrong folder, or another ecosystem's export, would answer
    # "no known vulnerabilities" for everything.
    (tmp_path / "empty").mkdir()
    with pytest.raises(AuditError, match="empty: holds no OSV record of a PyPI package"):
        open_database(str(tmp_path / "empty"))
    npm = tmp_path / "npm.zip"
    with zipfile.ZipFile(npm, "w") as archive:
        archive.writestr(
            "X-1.json", '{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "a"}}]}'
        )
    with pytest.raises(AuditError, match=r"npm\.zip: holds no OSV record of a PyPI package"):
        open_database(str(npm))


def test_a_yaml_record_whose_aliases_expand_without_end_is_refused(
    records_dir: Path, cache_dir: Path
) -> None:
    # 600 bytes of anchors and aliases ("billion laughs") that indexing expanded into
    # billions of strings: minutes and gigabytes. OSV records use no aliases.
    lines = ["id: PYSEC-2099-8", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["affected:", "- package: {ecosystem: PyPI, name: idna}", "  versions: ['3.6']"]
    (records_dir / "PYSEC-2099-8.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(AuditError, match=r"PYSEC-2099-8\.yaml: invalid YAML for an OSV record \(an alias"):
        open_database(str(records_dir))


def _flag_member(path: Path, *, flags: int = 0, method: int | None = None) -> None:
    """Rewrite the one member's header fields in both the local and the central header."""
    import struct

    data = bytearray(path.read_bytes())
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)
        data[at + flag_at] |= flags
        if method is not None:
            data[at + method_at : at + method_at + 2] = struct.pack("<H", method)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("flags", "method", "why"),
    [(1, None, "encrypted"), (0, 97, "compression method is not supported")],
    ids=["encrypted", "unknown-method"],
)
def test_a_zip_member_that_zipfile_cannot_read_is_named(
    tmp_path: Path, cache_dir: Path, flags: int, method: int | None, why: str
) -> None:
    # zipfile raises RuntimeError and NotImplementedError for these: a traceback, exit 1.
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("PYSEC-1.json", '{"id": "PYSEC-1"}')
    _flag_member(archive, flags=flags, method=method)
    with pytest.raises(AuditError, match=rf"all\.zip:PYSEC-1\.json: cannot read it from the zip \(.*{why}"):
        open_database(str(archive))
