"""Benchmark: validating a ~60-package environment against its requirements.txt.

Side by side in one run: ``tether validate`` cold (``--no-cache``), right after a change
to the environment (its result cache misses, its interpreter cache holds) and with
nothing changed (answered from its stamp-checked result cache), ``fetter validate`` (its
cache off, and with its default 120 s time-based cache) and ``uv pip sync --check``.
Prints medians and ratios.

    python benchmarks/bench_validate.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import HERE, build_venv, fetter_command, prepare, report, tether_commands, time_commands, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    lock = HERE / "data" / "requirements.txt"
    prepare()
    with tempfile.TemporaryDirectory() as tmp:
        py = build_venv(Path(tmp), lock)
        (site,) = (py.parent.parent / "lib").glob("python3*/site-packages")
        count = len(list(site.glob("*.dist-info")))
        tether = [tool("tether")]  # the console script, as users run it
        # Every command must agree that the environment is valid before it is timed.
        for argv in (
            [*tether, "validate", "-p", str(py), "--lock", str(lock)],
            [tool("uv"), "pip", "sync", "--check", "--python", str(py), str(lock)],
        ):
            proc = subprocess.run(argv, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.exit(f"{argv} says invalid:\n{proc.stdout}{proc.stderr}")
        fetter = tool("fetter")
        validate = [*tether, "validate", "-p", str(py), "--lock", str(lock)]
        commands = {
            **tether_commands(validate, site),
            "fetter validate (--cache-duration 0)": fetter_command(py, lock),
            "fetter validate (default cache)": [
                fetter,
                "-q",
                "-e",
                str(py),
                "validate",
                "--bound",
                str(lock),
            ],
            "uv pip sync --check": [
                tool("uv"),
                "pip",
                "sync",
                "--check",
                "-q",
                "--python",
                str(py),
                str(lock),
            ],
        }
        medians = time_commands(commands, args.runs)
        print(
            report(
                f"validate: {count} distributions, {args.runs} runs each",
                medians,
                "tether validate (--no-cache)",
            )
        )


if __name__ == "__main__":
    main()
