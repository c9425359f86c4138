"""A pixi environment's conda packages are checked against its conda-meta records, and the
.dist-info folders conda installed are left to that comparison (real files, a real venv
standing in for the environment's prefix)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import MakeDist, MakeDistVenv, site_packages
from tether.cli import main

LOCK = """\
version: 6
environments:
  default:
    channels:
    - url: https://conda.anaconda.org/conda-forge/
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
      - conda: https://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyhd8ed1ab_0.conda
      - pypi: https://files.index.example/packages/idna-3.6-py3-none-any.whl
packages:
- conda: https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda
  sha256: aa
- conda: https://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyhd8ed1ab_0.conda
  sha256: bb
- pypi: https://files.index.example/packages/idna-3.6-py3-none-any.whl
  name: idna
  version: '3.6'
"""


def record(prefix: Path, name: str, version: str, files: list[str]) -> None:
    meta = prefix / "conda-meta"
    meta.mkdir(exist_ok=True)
    (meta / f"{name}-{version}-0.json").write_text(
        json.dumps({"name": name, "version": version, "files": files})
    )


def test_conda_and_pypi(tmp_path: Path, dist_venv: MakeDistVenv, make_dist: MakeDist, capsys) -> None:
    venv = dist_venv({"idna": "3.6"})
    site = site_packages(venv)
    six = make_dist(site, "six", "1.16.0")
    record(venv, "libzlib", "1.3.1", ["lib/libz.so"])
    record(venv, "six", "1.16.0", [str((six / "METADATA").relative_to(venv))])
    lock = tmp_path / "pixi.lock"
    lock.write_text(LOCK)
    argv = ["validate", "-p", str(venv), "--lock", str(lock), "--format", "json", "--no-cache"]
    assert main(argv) == 0, capsys.readouterr().out
    capsys.readouterr()
    (venv / "conda-meta" / "libzlib-1.3.1-0.json").unlink()
    record(venv, "libzlib", "1.2.13", ["lib/libz.so"])
    record(venv, "openssl", "3.0.0", ["lib/libssl.so"])
    assert main(argv) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["status"], r["installed"], r["detail"]) for r in report["records"]] == [
        ("libzlib", "mismatch", "1.2.13", "conda package"),
        ("openssl", "unexpected", "3.0.0", "conda package"),
    ]
