"""Benchmark: what the start-up check adds to every start of ``python``.

Three venvs synced from the same ~60-package lock, timed side by side in one run:
``python -c pass`` bare, with tether's hook (``tether site-install``) and with fetter's
(``fetter site-install``, fetter installed in that venv so that its hook works). All
three environments are valid, so each hook takes its clean path. Prints medians and
ratios to bare.

    python benchmarks/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import HERE, build_venv, env, prepare, report, time_commands, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--python", default=sys.executable, help="the interpreter the venvs are made from")
    args = parser.parse_args()
    lock = HERE / "data" / "requirements.txt"
    prepare()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = build_venv(root / "bare", lock, args.python)
        hooked = build_venv(root / "tether", lock, args.python)
        fetter_py = build_venv(root / "fetter", lock, args.python)
        subprocess.run(
            [tool("tether"), "site-install", "--quiet", "-p", str(hooked), "--lock", str(lock)],
            check=True,
            env=env(),
        )
        subprocess.run(
            [tool("uv"), "pip", "install", "-q", "--python", str(fetter_py), "fetter"], check=True, env=env()
        )
        subprocess.run(
            [
                str(fetter_py.parent / "fetter"),
                "-e",
                str(fetter_py),
                "site-install",
                "--bound",
                str(lock),
                "--superset",
                "warn",
            ],
            check=True,
            env=env(),
            capture_output=True,
        )
        for py in (bare, hooked, fetter_py):
            proc = subprocess.run(
                [str(py), "-c", "pass"], capture_output=True, text=True, env=env(), check=False
            )
            if proc.returncode != 0 or proc.stderr:
                sys.exit(f"{py} does not start cleanly:\n{proc.stderr}")
        count = len(list(hooked.parent.parent.glob("lib/python3*/site-packages/*.dist-info")))
        medians = time_commands(
            {
                "python -c pass (bare)": [str(bare), "-c", "pass"],
                "python -c pass (tether hook)": [str(hooked), "-c", "pass"],
                "python -c pass (fetter hook)": [str(fetter_py), "-c", "pass"],
            },
            args.runs,
        )
        print(
            report(
                f"start-up: {count} distributions, {args.runs} runs each", medians, "python -c pass (bare)"
            )
        )


if __name__ == "__main__":
    main()
