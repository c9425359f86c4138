"""Hostile installed states: what other tools (or nobody) wrote into site-packages.

Each case writes a real venv's site-packages by hand, then runs `tether validate` (as a
child process, with and without the cache) and a real start of the venv's python with the
start-up check installed in exit mode. Promises: no traceback anywhere, every run within
the time limit, the hook's verdict is validate's, and what is broken is reported as
`invalid` (or read as it is), never fatal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.helpers import clean_env, site_packages, tether

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

LIMIT = 10


def dist(site: Path, name: str, version: str = "1.0", *, metadata: bytes | None = None) -> Path:
    folder = site / f"{name}-{version}.dist-info"
    folder.mkdir()
    text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    (folder / "METADATA").write_bytes(text if metadata is None else metadata)
    return folder


def nested_direct_url(site: Path) -> None:
    (dist(site, "deep") / "direct_url.json").write_text("[" * 100_000 + "]" * 100_000)


def direct_url_not_an_object(site: Path) -> None:
    (dist(site, "notobj") / "direct_url.json").write_text('["https://example.invalid/x.whl"]')


def direct_url_binary(site: Path) -> None:
    (dist(site, "binurl") / "direct_url.json").write_bytes(b"\xff\xfe\x00junk")


def metadata_binary(site: Path) -> None:
    dist(site, "binmeta", metadata=bytes(range(256)) * 16)


def metadata_endless_header(site: Path) -> None:
    dist(site, "endless", metadata=b"Metadata-Version: 2.1\nName: endless\n" + b"X-Junk: y\n" * 200_000)


def metadata_a_fifo(site: Path) -> None:
    folder = site / "fifometa-1.0.dist-info"
    folder.mkdir()
    os.mkfifo(folder / "METADATA")  # an open would wait for a writer forever


def direct_url_a_fifo(site: Path) -> None:
    os.mkfifo(dist(site, "fifourl") / "direct_url.json")


def metadata_one_endless_line(site: Path) -> None:
    dist(site, "oneline", metadata=b"Metadata-Version: 2.1\nName: oneline\nX-Junk: " + b"y" * (8 << 20))


def requires_with_a_bad_marker(site: Path) -> None:
    dist(
        site,
        "badmarker",
        metadata=b"Metadata-Version: 2.1\nName: badmarker\nVersion: 1.0\n"
        b'Requires-Dist: six; python_version ~= "abc"\nRequires-Dist: not a requirement!!\n',
    )


def version_of_5000_digits(site: Path) -> None:
    dist(
        site,
        "hugever",
        "1",
        metadata=b"Metadata-Version: 2.1\nName: hugever\nVersion: " + b"9" * 5000 + b"\n",
    )


def dist_info_is_a_file(site: Path) -> None:
    (site / "afile-1.0.dist-info").write_text("not a folder")


def dist_info_symlink_loop(site: Path) -> None:
    (site / "loop-1.0.dist-info").symlink_to(site / "loop-1.0.dist-info")


def egg_link_to_nowhere(site: Path) -> None:
    (site / "gone.egg-link").write_text("/nonexistent/project\n.\n")


def egg_link_binary(site: Path) -> None:
    (site / "junk.egg-link").write_bytes(bytes(range(256)) * 2)


def egg_link_empty(site: Path) -> None:
    (site / "empty.egg-link").write_bytes(b"\n\n")


def leftover_of_pip(site: Path) -> None:
    (site / "~ix-1.16.0.dist-info").mkdir()


def non_utf8_name(site: Path) -> None:
    folder = os.path.join(os.fsencode(site), b"caf\xe9-1.0.dist-info")
    os.mkdir(folder)
    with open(os.path.join(folder, b"METADATA"), "wb") as f:
        f.write(b"Metadata-Version: 2.1\nName: caf\xe9\nVersion: 1.0\n")


CASES: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (
        nested_direct_url,
        direct_url_not_an_object,
        direct_url_binary,
        metadata_binary,
        metadata_endless_header,
        metadata_a_fifo,
        direct_url_a_fifo,
        metadata_one_endless_line,
        requires_with_a_bad_marker,
        version_of_5000_digits,
        dist_info_is_a_file,
        dist_info_symlink_loop,
        egg_link_to_nowhere,
        egg_link_binary,
        egg_link_empty,
        leftover_of_pip,
        non_utf8_name,
    )
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_installed_state(tmp_path: Path, case: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = site_packages(venv)
    dist(site, "six", "1.16.0")
    # A hand-pinned list: its dependencies are followed through Requires-Dist.
    lock = tmp_path / "requirements.txt"
    lock.write_text("six==1.16.0\n")
    py = venv / "bin" / "python"
    assert tether("site-install", "-p", py, "--lock", lock, "--on-drift", "exit").returncode == 0
    CASES[case](site)

    verdicts = []
    for extra in ((), ("--no-cache",), ()):
        proc = subprocess.run(
            [sys.executable, "-m", "tether", "validate", "-p", str(py), "--lock", str(lock), "--format", "json", *extra],
            capture_output=True, text=True, timeout=LIMIT, check=False, env=clean_env(),
        )  # fmt: skip
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, proc.stdout + proc.stderr
        verdicts.append([(r["name"], r["status"]) for r in json.loads(proc.stdout)["records"]])
    assert verdicts[0] == verdicts[1] == verdicts[2]

    start = subprocess.run(
        [str(py), "-c", "print('ok')"],
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
        env=clean_env(),
    )
    assert "Traceback" not in start.stderr, start.stderr
    assert (start.returncode, start.stdout) == (1, ""), start.stderr
    named = sorted(
        (line.split()[0], line.split()[1])
        for line in start.stderr.splitlines()
        if line.startswith("  ") and not line.startswith(("  fix:", "  skip"))
    )
    # The hook names each finding validate names, in the same order.
    assert [n for n, _ in named] == sorted(name for name, _ in verdicts[0]), start.stderr
