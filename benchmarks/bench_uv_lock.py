"""Benchmark: validating a ~60-package uv project environment against its uv.lock.

A uv project depending on ``data/requirements.in`` is locked and synced; then, side by
side in one run: ``tether validate --lock uv.lock`` (cold, after a change, nothing
changed), ``uv sync --check`` and ``fetter validate --bound uv.lock``. fetter's verdict
is printed too, since it may not agree that the environment is valid.

    python benchmarks/bench_uv_lock.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import HERE, env, fetter_command, prepare, report, tether_commands, time_commands, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    prepare()
    deps = [
        line.strip() for line in (HERE / "data" / "requirements.in").read_text().splitlines() if line.strip()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        quoted = ", ".join(f'"{d}"' for d in deps)
        project = '[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.9"\n'
        (root / "pyproject.toml").write_text(f"{project}dependencies = [{quoted}]\n")
        subprocess.run([tool("uv"), "lock", "-q"], cwd=root, check=True, env=env())
        sync = [tool("uv"), "sync", "--frozen", "-q", "--python", sys.executable]
        subprocess.run(sync, cwd=root, check=True, env=env())
        py = root / ".venv" / "bin" / "python"
        lock = root / "uv.lock"
        (site,) = (root / ".venv" / "lib").glob("python3*/site-packages")
        count = len(list(site.glob("*.dist-info")))
        tether = [tool("tether"), "validate", "-p", str(py), "--lock", str(lock)]
        check = subprocess.run(tether, capture_output=True, text=True, env=env(), check=False)
        if check.returncode != 0:
            sys.exit(f"tether says invalid:\n{check.stdout}{check.stderr}")
        fetter = fetter_command(py, lock)
        verdict = subprocess.run([*fetter, "exit"], capture_output=True, text=True, env=env(), check=False)
        commands = {
            **tether_commands(tether, site),
            "uv sync --check": [tool("uv"), "sync", "--check", "--frozen", "-q"],
            "fetter validate (--cache-duration 0)": fetter,
        }
        medians = time_commands(commands, args.runs, cwd=root)
        print(report(f"uv.lock: {count} distributions, {args.runs} runs each", medians,
                     "tether validate (--no-cache)"))  # fmt: skip
        print(f"fetter's verdict on this valid environment: exit {verdict.returncode}")


if __name__ == "__main__":
    main()
