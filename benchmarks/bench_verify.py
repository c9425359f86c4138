"""Benchmark: ``tether verify`` on a 100-distribution environment, against ``sha256sum``.

The environment: the uv project of ``_common.PROJECT_PYPROJECT`` (77 distributions),
plus the popular packages below, installed by ``uv pip install`` until at least 100
distributions are there. The peer is the practical floor for hashing the same files:
GNU ``sha256sum`` over exactly the files verify hashes (every RECORD row with a hash),
fed by ``xargs -0`` (a handful of processes, one file after another). Interleaved in one
run:

- ``tether verify -p .venv`` (hash every recorded file, walk every package directory)
- ``xargs -0 -a FILES sha256sum``
- ``tether verify --fast`` (sizes only), for context

Reported: medians, files/s and MB/s of each, and the ratio to ``sha256sum``. tether
does more than ``sha256sum`` (it starts Python, finds the interpreter, reads every
RECORD, ``lstat``s each file, walks the package directories for unrecorded files).

    .venv-test/bin/python benchmarks/bench_verify.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from _common import (
    Command,
    Row,
    count_dists,
    env,
    finish,
    prepare,
    project_twin,
    run,
    scratch,
    table,
    time_commands,
    tool,
    uv_project,
)

if TYPE_CHECKING:
    from pathlib import Path

#: Added to the project's environment to pass 100 distributions (pinned by exclude-newer).
EXTRA = [
    "django", "flask", "pytest", "black", "docutils", "babel", "toml", "tqdm", "networkx", "lxml",
    "beautifulsoup4", "cryptography",
]  # fmt: skip


def build(venv: Path) -> Path:
    """The project's environment twin at *venv*, with :data:`EXTRA` added; its python."""
    python = project_twin(uv_project(), venv)
    run(
        [
            tool("uv"),
            "pip",
            "install",
            "-q",
            "--python",
            python,
            "--exclude-newer",
            "2026-11-01T00:00:00Z",
            *EXTRA,
        ]
    )
    return python


def hashed_files(python: Path, listing: Path) -> tuple[int, int]:
    """Write the files verify hashes (NUL-separated) to *listing*; their count and bytes."""
    code = (
        "import sys, json; from tether.target import query_target; from tether.installed import scan; "
        "from tether.records import read_record; t = query_target(sys.argv[1]); "
        "print(json.dumps([f.path for d in scan(t.sites).dists for f in read_record(d.path, d.site) "
        "if f.hash is not None]))"
    )
    paths = json.loads(subprocess.check_output([sys.executable, "-c", code, str(python)], env=env()))
    listing.write_bytes(b"\0".join(os.fsencode(p) for p in paths))
    return len(paths), sum(os.path.getsize(p) for p in paths)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    args = prepare(parser, default_runs=10)
    venv = scratch() / "venv"
    python = build(venv)
    dists = count_dists(venv)
    if dists < 100:
        raise SystemExit(f"only {dists} distributions installed; add to EXTRA")
    listing = scratch() / "files"
    files, size = hashed_files(python, listing)
    report = json.loads(run([tool("tether"), "verify", "-p", python, "--format", "json"]))
    if not report["valid"] or report["bytes"] != size:
        raise SystemExit(f"verify hashed {report['bytes']} bytes, sha256sum will hash {size}")
    medians = time_commands(
        {
            "sha256sum": Command(["xargs", "-0", "-a", listing, "sha256sum"]),
            "tether": Command([tool("tether"), "verify", "-p", python]),
            "tether fast": Command([tool("tether"), "verify", "--fast", "-p", python]),
        },
        args.runs,
    )
    base = medians["sha256sum"]

    def rate(ms: float) -> str:
        return f"{files / ms * 1000:,.0f} files/s, {size / 1e6 / ms * 1000:,.0f} MB/s"

    rows = [
        Row(f"xargs -0 sha256sum ({rate(base)})", base, base),
        Row(f"tether verify ({rate(medians['tether'])})", medians["tether"], base),
        Row(
            f"tether verify --fast (sizes only; {rate(medians['tether fast'])})", medians["tether fast"], base
        ),
    ]
    title = (
        f"{dists} distributions, {files:,} hashed files, {size / 1e6:.1f} MB; {os.cpu_count()} CPUs; "
        f"{args.runs} runs each; ratio to sha256sum"
    )
    print(table(title, rows))
    finish(rows, args.strict)


if __name__ == "__main__":
    main()
