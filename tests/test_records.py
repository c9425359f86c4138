"""records.read_record: installed RECORDs, as installers write them and as they go wrong."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tether.errors import RecordError
from tether.records import OwnedFile, read_record


def write_record(tmp_path: Path, data: bytes | str) -> tuple[Path, Path]:
    site = tmp_path / "lib/python3.11/site-packages"
    info = site / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "RECORD").write_bytes(data.encode() if isinstance(data, str) else data)
    return site, info


def test_rows_resolved_against_the_site(tmp_path: Path) -> None:
    site, info = write_record(
        tmp_path,
        "demo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
        "../../../bin/demo,sha256=abc,12\n"
        '"demo/a,b.py",,\n'
        "demo-1.0.dist-info/RECORD,,\n",
    )
    assert read_record(str(info), str(site)) == (
        OwnedFile(
            "demo/__init__.py",
            str(site / "demo/__init__.py"),
            ("sha256", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"),
            0,
        ),
        OwnedFile("../../../bin/demo", str(tmp_path / "bin/demo"), ("sha256", "abc"), 12),
        OwnedFile("demo/a,b.py", str(site / "demo/a,b.py"), None, None),
        OwnedFile("demo-1.0.dist-info/RECORD", str(info / "RECORD"), None, None),
    )


def test_the_entry_validates_a_stream(tmp_path: Path) -> None:
    site, info = write_record(
        tmp_path, "demo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
    )
    (owned,) = read_record(str(info), str(site))
    assert owned.entry.validate_stream(io.BytesIO(b""))
    assert not owned.entry.validate_stream(io.BytesIO(b"x"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"demo/x.py,md5sum=abc,1\n", "row 1: invalid hash algorithm 'md5sum'", id="bad-algorithm"
        ),
        pytest.param(b"demo/x.py,,size\n", "row 1: `size` cannot be non-integer", id="bad-size"),
        pytest.param(b",,\n", "row 1: `path` cannot be empty", id="empty-path"),
        pytest.param(b"demo/x.py\n", "row index 0", id="one-field"),
        pytest.param(b"\xff\n", "not UTF-8 (byte 0)", id="not-utf8"),
    ],
)
def test_malformed_records_are_one_line_naming_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    site, info = write_record(tmp_path, data)
    with pytest.raises(RecordError) as e:
        read_record(str(info), str(site))
    assert str(e.value).startswith(f"{info / 'RECORD'}: ")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_a_directory_and_a_fifo(tmp_path: Path) -> None:
    site, info = write_record(tmp_path, "")
    (info / "RECORD").unlink()
    with pytest.raises(RecordError, match=r"RECORD: cannot read the RECORD \(No such file or directory\)$"):
        read_record(str(info), str(site))
    (info / "RECORD").mkdir()
    with pytest.raises(RecordError, match="cannot read the RECORD"):
        read_record(str(info), str(site))
    (info / "RECORD").rmdir()
    os.mkfifo(info / "RECORD")  # would block a plain open() forever
    with pytest.raises(RecordError, match=r"cannot read the RECORD \(not a regular file\)"):
        read_record(str(info), str(site))


def test_an_empty_record_owns_nothing(tmp_path: Path) -> None:
    site, info = write_record(tmp_path, "")
    assert read_record(str(info), str(site)) == ()


def test_a_quoted_newline_and_crlf_rows(tmp_path: Path) -> None:
    # csv.writer (pip, installer) quotes a path with a newline; a RECORD written on
    # Windows ends its rows with CRLF.
    site, info = write_record(tmp_path, '"demo/new\nline.py",,\r\ndemo/x.py,,3\r\n')
    assert [(f.recorded, f.size) for f in read_record(str(info), str(site))] == [
        ("demo/new\nline.py", None),
        ("demo/x.py", 3),
    ]
