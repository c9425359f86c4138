"""Benchmark: auditing a 100-package environment, online (a local OSV server) and offline.

The environment is a bare venv holding 100 written ``.dist-info`` folders: real package
names taken from the advisory set, half at a version its records name as affected, half
at a version no record names. The advisories are the full PyPA set from the shared data
folder (``../shared/data/pypa-advisory-database`` beside the repository, or
``$TETHER_ADVISORY_DB``) when present, else the records of ``tests/data/osv``.

A real OSV server on 127.0.0.1 (the tests' ``tests/audit/osv_server.py``) answers from
those records and counts what it is asked. Interleaved in one run:

- ``tether audit --no-cache --osv-url URL`` (every answer fetched)
- ``tether audit --osv-url URL`` (answers from the cache of good answers)
- ``tether audit --db DIR`` and ``--db all.zip`` (the index kept in the cache), and
  both with ``--no-cache`` (every record read and parsed: YAML for the directory, JSON
  for the zip, as OSV exports it)
- ``pip-audit -s osv --osv-url URL/v1/query --path SITE`` (pip-audit asks OSV one
  package at a time; it has no offline mode)

Target: the offline audit well under a second (< 500 ms).

    .venv-test/bin/python benchmarks/bench_audit.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from _common import Row, bare_venv, env, prepare, scratch, site_packages, table, tool, write_dists

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.audit import osv_server  # noqa: E402 - after the path that finds it


def advisory_root() -> Path:
    """The full advisory set when present, else the tests' records."""
    shared = Path(os.environ.get("TETHER_ADVISORY_DB", ROOT.parent / "shared/data/pypa-advisory-database"))
    if (shared / "vulns").is_dir():
        return shared / "vulns"
    print(f"note: {shared} not found: the tests' 31 records stand in for the full set", file=sys.stderr)
    return ROOT / "tests/data/osv/vulns"


def choose(records: dict[str, dict], count: int) -> list[tuple[str, str]]:
    """*count* (name, version) pairs spread over the records' packages: even ones at a
    version a record lists as affected, odd ones at a version none names."""
    by_name: dict[str, list[str]] = {}
    for record in records.values():
        for affected in record.get("affected", []):
            name = affected.get("package", {}).get("name", "").lower()
            versions = [v for v in affected.get("versions", []) if osv_server._version(v) is not None]
            if name and versions:
                by_name.setdefault(name, []).extend(versions)
    names = sorted(by_name)
    step = max(1, len(names) // count)
    picked = [names[(i * step) % len(names)] for i in range(count)]
    out = []
    for i, name in enumerate(dict.fromkeys(picked)):
        out.append((name, by_name[name][-1] if i % 2 == 0 else "9999.0"))
    k = 0
    while len(out) < count:  # fewer packages than asked: the same names again, renamed
        name, version = out[k]
        out.append((f"{name}-copy{k}", version))
        k += 1
    return out


def timed(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time (ms) of each command over *runs*, interleaved, one warm-up
    discarded; exit codes 0 and 1 (findings) are both success here."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for repetition in range(runs + 1):
        turn = repetition % len(names)
        for name in names[turn:] + names[:turn]:
            start = time.perf_counter()
            proc = subprocess.run(commands[name], env=env(), capture_output=True, text=True, check=False)
            elapsed = (time.perf_counter() - start) * 1000
            if proc.returncode not in (0, 1):
                sys.exit(f"{name}: exit {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
            if repetition:
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--packages", type=int, default=100, help="packages in the environment (default: 100)"
    )
    args = prepare(parser, default_runs=10)
    root = advisory_root()
    records = osv_server.load_records(root)
    pins = choose(records, args.packages)
    venv = scratch() / "venv"
    bare_venv(venv)
    site = site_packages(venv)
    write_dists(site, pins)
    archive = scratch() / "all.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for ident, record in records.items():
            z.writestr(f"{ident}.json", json.dumps(record))
    state, httpd, thread = osv_server.start(records)
    try:
        tether = [tool("tether"), "audit", "-p", str(venv), "--format", "json"]
        online = [*tether, "--osv-url", state.url]
        first = subprocess.run(
            [*online, "--no-cache"], env=env(), capture_output=True, text=True, check=False
        )
        report = json.loads(first.stdout)
        requests = (state.batch_calls, state.detail_calls)
        pip_audit = [
            *(tool("pip-audit"), "-s", "osv", "--osv-url", f"{state.url}/v1/query", "--path", str(site)),
            *("--progress-spinner", "off", "-f", "json", "--timeout", "30"),
        ]
        peer = subprocess.run(pip_audit, env=env(), capture_output=True, text=True, check=False)
        peer_queries = state.query_calls
        peer_found = None
        if peer.returncode in (0, 1):
            peer_found = sum(len(d.get("vulns", [])) for d in json.loads(peer.stdout)["dependencies"])
        commands = {
            "tether online --no-cache": [*online, "--no-cache"],
            "tether online, cached answers": online,
            "tether --db DIR": [*tether, "--db", str(root)],
            "tether --db all.zip": [*tether, "--db", str(archive)],
            "tether --db DIR --no-cache": [*tether, "--db", str(root), "--no-cache"],
            "tether --db all.zip --no-cache": [*tether, "--db", str(archive), "--no-cache"],
        }
        if peer_found is not None:
            commands["pip-audit (OSV, one query per package)"] = pip_audit
        medians = timed(commands, args.runs)
    finally:
        osv_server.stop(state, httpd, thread)
    base = medians.get("pip-audit (OSV, one query per package)")
    rows = [Row(what, ms, base) for what, ms in medians.items()]
    print(f"{args.packages} packages against {len(records)} advisories ({root}); {args.runs} runs, medians")
    print(table("audit", rows))
    findings = len(report["findings"]) + len(report["malicious"])
    print(
        f"\ntether, one cold run: {requests[0]} querybatch call(s) and {requests[1]} record fetches "
        f"for {len(report['packages'])} packages; {findings} findings"
    )
    if peer_found is None:
        print(f"pip-audit could not run (exit {peer.returncode}): {peer.stderr.strip().splitlines()[-1:]}")
    else:
        print(f"pip-audit, one run: {peer_queries} /v1/query calls; {peer_found} findings")
    offline = medians["tether --db DIR"]
    verdict = "ok" if offline < 500 else "MISSED"
    print(f"offline target (< 500 ms with the index cached): {offline:.0f} ms {verdict}")
    if args.strict and offline >= 500:
        sys.exit(1)


if __name__ == "__main__":
    main()
