"""Benchmark: finding and reading every environment of a machine, tether vs fetter.

A synthetic tree of ``--envs`` (1,000) venvs, each holding ``--dists`` (100) real-shaped
``.dist-info`` folders (METADATA with the headers and description a wheel's has, WHEEL,
INSTALLER, top_level.txt, RECORD with real hashes), laid out as ``python -m venv`` lays
one out (``pyvenv.cfg``, ``bin/python*`` linked to this machine's interpreter,
``lib/pythonX.Y/site-packages``, ``lib64``, ``include``). It is generated once into the
temporary directory and kept (keyed by its recipe).

- ``tether scan --root TREE --format csv``
- ``fetter -c 0 -q scan write``, with ``HOME=TREE``: fetter has no root option; it walks
  the home directory (each of its folders recursively), PATH and the system's bin
  folders for files named ``python*``, and runs each one it finds to ask for its sites.
  ``-c 0`` turns its time-based cache off.

Cold: before each timed run the kernel's page, dentry and inode caches are dropped
(``/proc/sys/vm/drop_caches``; where that is not allowed the runs are warm, and the
title says so). Both must report the same (distribution, site) pairs under the tree;
the benchmark stops if they do not.

    .venv-test/bin/python benchmarks/bench_scan.py [--runs N] [--envs N] [--dists N]
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import Command, Row, base_python, env, finish, prepare, run, scratch, table, time_commands, tool

DESCRIPTION = "\n".join(
    ["# bench", "", "A synthetic distribution for the scan benchmark.", ""]
    + [f"Line {i} of a description as long as a small project's README." for i in range(30)]
)


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def dist_files(name: str, version: str) -> dict[str, bytes]:
    """The files of a ``.dist-info`` folder as pip writes them (RECORD comes after)."""
    module = name.replace("-", "_")
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        "Summary: A synthetic distribution for the scan benchmark\n"
        "Home-page: https://example.invalid/bench\nAuthor: Bench\nLicense: MIT\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: License :: OSI Approved :: MIT License\n"
        "Requires-Python: >=3.8\nRequires-Dist: typing-extensions>=4; python_version < '3.11'\n"
        f"Description-Content-Type: text/markdown\n\n{DESCRIPTION}\n"
    )
    return {
        "METADATA": metadata.encode(),
        "WHEEL": b"Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        "INSTALLER": b"pip\n",
        "top_level.txt": f"{module}\n".encode(),
    }


def write_env(prefix: Path, python: str, version: str, dists: list[tuple[str, str]]) -> None:
    """A venv as ``python -m venv --without-pip`` lays it out, holding *dists*."""
    minor = ".".join(version.split(".")[:2])
    site = prefix / "lib" / f"python{minor}" / "site-packages"
    site.mkdir(parents=True)
    (prefix / "include").mkdir()
    (prefix / "lib64").symlink_to("lib")
    (prefix / "bin").mkdir()
    for name in ("python", "python3", f"python{minor}"):
        (prefix / "bin" / name).symlink_to(python)
    (prefix / "pyvenv.cfg").write_text(
        f"home = {Path(python).parent}\ninclude-system-site-packages = false\nversion = {version}\n"
        f"executable = {python}\ncommand = {python} -m venv {prefix}\n"
    )
    for name, dist_version in dists:
        info = f"{name.replace('-', '_')}-{dist_version}.dist-info"
        (site / info).mkdir()
        record = []
        for rel, data in dist_files(name, dist_version).items():
            (site / info / rel).write_bytes(data)
            record.append(f"{info}/{rel},{_hash(data)}")
        record.append(f"{info}/RECORD,,")
        (site / info / "RECORD").write_text("\n".join(record) + "\n")


def build_tree(envs: int, dists: int) -> tuple[Path, str]:
    """The tree (built once, kept in the temporary directory), and its Python version."""
    python = base_python()
    version = run([python, "-c", "import platform; print(platform.python_version())"]).strip()
    key = hashlib.sha256(f"v1\0{envs}\0{dists}\0{python}\0{version}".encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"tether-bench-scan-{key}"
    if (home / ".built").exists():
        return home, version
    print(f"building {envs} environments x {dists} distributions in {home} ...", file=sys.stderr, flush=True)
    run(["rm", "-rf", str(home)])
    for i in range(envs):
        # Versions vary with the environment, as they do across a machine's projects.
        names = [(f"bench-pkg-{j:03d}", f"{1 + (i + j) % 5}.{j % 11}.{i % 3}") for j in range(dists)]
        write_env(home / "envs" / f"env-{i:04d}", python, version, names)
    (home / ".built").touch()
    return home, version


def can_drop_caches() -> bool:
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


def drop_caches() -> None:
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def tether_pairs(home: Path) -> set[tuple[str, str]]:
    """(name-version, site relative to the tree) that ``tether scan`` reports under it."""
    out = run([tool("tether"), "scan", "-q", "--root", home, "--format", "csv"])
    return {
        (f"{row['name']}-{row['version']}", os.path.relpath(row["site"], home))
        for row in csv.DictReader(io.StringIO(out))
        if row["site"].startswith(f"{home}/")
    }


def fetter_argv(home: Path, out: Path) -> list[str]:
    return ["/usr/bin/env", f"HOME={home}", "PATH=/usr/bin:/bin",
            tool("fetter"), "-c", "0", "-q", "scan", "write", "-o", str(out), "-d", "|"]  # fmt: skip


def fetter_pairs(home: Path) -> set[tuple[str, str]]:
    """The same, from ``fetter scan write`` (sites under HOME are written ``~/...``;
    fetter writes the name as the folder spells it, ``bench_pkg_000``)."""
    out = scratch() / "fetter-scan.txt"
    subprocess.run(fetter_argv(home, out), env=env(), capture_output=True, check=True)
    pairs = set()
    for line in out.read_text().splitlines()[1:]:
        package, _, site = line.partition("|")
        if site.startswith("~/"):
            name, _, version = package.rpartition("-")
            pairs.add((f"{name.replace('_', '-')}-{version}", site[2:]))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--envs", type=int, default=1000, help="environments in the tree (default: 1000)")
    parser.add_argument("--dists", type=int, default=100, help="distributions in each (default: 100)")
    args = prepare(parser, default_runs=3)
    home, version = build_tree(args.envs, args.dists)
    ours, theirs = tether_pairs(home), fetter_pairs(home)
    if ours != theirs:
        sys.exit(
            f"the counts differ: tether {len(ours)}, fetter {len(theirs)}; "
            f"only tether: {sorted(ours - theirs)[:5]}, only fetter: {sorted(theirs - ours)[:5]}"
        )
    cold = can_drop_caches()
    before = drop_caches if cold else None
    medians = time_commands(
        {
            "tether": Command(
                [tool("tether"), "scan", "-q", "--root", home, "--format", "csv"], before=before
            ),
            "fetter": Command(fetter_argv(home, scratch() / "fetter-timed.txt"), before=before),
        },
        args.runs,
    )
    base = medians["fetter"]
    rows = [
        Row("fetter -c 0 scan (HOME=tree)", base, base),
        Row("tether scan --root tree", medians["tether"], base, 1.0),
    ]
    state = "cold (caches dropped before each run)" if cold else "warm"
    title = (
        f"{args.envs} environments x {args.dists} distributions (Python {version}); both report the same "
        f"{len(ours)} (distribution, site) pairs; {state}; {args.runs} runs each; ratio to fetter"
    )
    print(table(title, rows))
    finish(rows, args.strict)


if __name__ == "__main__":
    main()
