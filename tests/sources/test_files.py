"""Reading a bound's files: by type before reading, capped, and recorded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import missing
from tether.errors import DocumentError
from tether.sources._files import (
    MAX_BYTES,
    consult,
    consulting,
    exists,
    getenv,
    is_dir,
    is_volatile,
    read_text,
    realpath,
)

FIFO = (
    "is a named pipe (FIFO); expected a regular file (a pipe can be the bound itself, read once: "
    "--lock /dev/stdin)"
)


def refusal(path: str | Path, *, bound: bool = False) -> str:
    start = time.monotonic()
    with pytest.raises(DocumentError) as exc:
        read_text(path, bound=bound)
    assert time.monotonic() - start < 2
    return str(exc.value)


def test_regular_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_bytes(b"\xef\xbb\xbfsix==1.16.0\n")
    assert read_text(tmp_path / "r.txt") == "six==1.16.0\n"
    (tmp_path / "empty.txt").write_bytes(b"")
    assert read_text(tmp_path / "empty.txt") == ""


def test_special_files_are_refused_before_reading(tmp_path: Path) -> None:
    assert refusal(tmp_path / "none") == "no such file"
    assert refusal(tmp_path / "none" / "deeper") == "no such file"
    (tmp_path / "file").write_text("")
    assert refusal(tmp_path / "file" / "under-a-file") == "no such file"
    assert refusal(tmp_path) == "is a directory; expected a lock or requirements file"
    assert refusal("/dev/zero") == "is a character device; expected a regular file"
    assert refusal("/dev/null") == "is a character device; expected a regular file"
    os.mkfifo(tmp_path / "fifo")
    assert refusal(tmp_path / "fifo") == FIFO
    # Even as the bound: a named pipe without a writer would block the open for ever.
    assert refusal(tmp_path / "fifo", bound=True) == FIFO
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert refusal(tmp_path / "loop") == "cannot read it (Too many levels of symbolic links)"
    assert refusal("a\0b") == "cannot read it (its name holds a NUL character)"
    assert refusal("x" * 5000) == "cannot read it (File name too long)"


def test_a_socket_is_refused() -> None:
    # AF_UNIX paths are short: not under pytest's tmp_path.
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        path = os.path.join(folder, "s")
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(path)
            server.listen()
            assert refusal(path) == "is a socket; expected a regular file"


def test_unreadable(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("six\n")
    locked.chmod(0)
    try:
        if not os.access(locked, os.R_OK):
            assert refusal(locked) == "cannot read it (Permission denied)"
            return
        # Root (as in CI) reads every file: read it without the capabilities that allow that.
        if os.geteuid() != 0 or not Path("/usr/bin/setpriv").exists():
            missing("a user who reads every file, and no setpriv to drop root's capabilities")
        code = (
            "import sys\nfrom tether.errors import DocumentError\nfrom tether.sources._files import read_text\n"
            "try:\n    read_text(sys.argv[1])\nexcept DocumentError as e:\n    print(e)\n"
        )
        proc = subprocess.run(
            ["/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search",
             sys.executable, "-c", code, str(locked)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "cannot read it (Permission denied)"
    finally:
        locked.chmod(0o644)


def test_size_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: nothing written
    assert refusal(big) == (
        f"is larger than 64 MiB ({MAX_BYTES + 1} bytes), the most tether reads of a bound file"
    )
    with big.open("wb") as f:
        f.truncate(MAX_BYTES)
    with pytest.raises(DocumentError, match=r"^is a binary file"):
        read_text(big)


def test_text_checks(tmp_path: Path) -> None:
    (tmp_path / "bin").write_bytes(b"six\0")
    assert refusal(tmp_path / "bin") == "is a binary file; expected a text lock or requirements file"
    (tmp_path / "latin").write_bytes(b"caf\xe9")
    assert refusal(tmp_path / "latin") == "is not UTF-8 text (invalid byte at offset 3)"


def pipe_with(data: bytes) -> tuple[int, str]:
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return read, f"/dev/fd/{read}"


def test_a_pipe_is_read_once_as_the_bound_only() -> None:
    fd, path = pipe_with(b"six==1.16.0\n")
    try:
        assert is_volatile(path)
        assert refusal(path) == (
            "is standard input, a pipe or a /proc file; only the bound itself can be one (--lock)"
        )
        with consulting() as consulted:
            assert read_text(path, bound=True) == "six==1.16.0\n"
        assert consulted.files == {}  # never stamped: the next run's is another pipe
    finally:
        os.close(fd)


def test_a_pipe_is_capped() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child writes until the reader goes
        os.close(read)
        try:
            chunk = b"#" * (1 << 20)
            while True:
                os.write(write, chunk)
        finally:
            os._exit(0)
    os.close(write)
    try:
        assert refusal(f"/dev/fd/{read}", bound=True) == (
            "is larger than 64 MiB, the most tether reads of a bound file"
        )
    finally:
        os.close(read)
        os.waitpid(pid, 0)


@pytest.mark.parametrize(
    ("path", "volatile"),
    [
        ("/dev/stdin", True),
        ("/dev/fd/3", True),
        ("/proc/self/fd/0", True),
        ("/proc/cpuinfo", True),
        ("requirements.txt", False),
        ("/etc/hostname", False),
    ],
)
def test_is_volatile(path: str, volatile: bool) -> None:
    assert is_volatile(path) is volatile


def test_consulting_records_files_and_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_T_SET", "1")
    monkeypatch.delenv("TETHER_T_UNSET", raising=False)
    (tmp_path / "a.txt").write_text("x")
    assert getenv("TETHER_T_SET") == "1"  # outside a reading: not recorded anywhere
    with consulting() as consulted:
        read_text(tmp_path / "a.txt")
        assert not exists(tmp_path / "pyproject.toml")
        consult(tmp_path / "setup.cfg")
        assert getenv("TETHER_T_SET") == "1"
        assert getenv("TETHER_T_UNSET") is None
        with pytest.raises(DocumentError):
            read_text(tmp_path / "missing.txt")
    assert list(consulted.files) == [str(tmp_path / n) for n in ("a.txt", "pyproject.toml", "setup.cfg",
                                                                 "missing.txt")]  # fmt: skip
    assert consulted.environ == {"TETHER_T_SET": "1", "TETHER_T_UNSET": None}


def test_paths_that_cannot_be_looked_at(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert realpath(tmp_path / "loop") == str(tmp_path / "loop")  # Path.resolve raises RuntimeError
    assert not is_dir("x" * 5000)  # Path.is_dir raises OSError
    assert not is_dir("a\0b")
    assert is_dir(tmp_path)
