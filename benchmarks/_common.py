"""Helpers shared by the benchmarks: building environments and timing commands."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A tool beside this interpreter (the test venv has uv and fetter), else on PATH."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed: pip install --group bench --group test -e .")
    return found


def env(**extra: str) -> dict[str, str]:
    """The environment for child processes, without our own venv leaking in.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: users run tools whose installer compiled
    them, and ``prepare()`` compiles tether's own source the same way.
    """
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    out = {k: v for k, v in os.environ.items() if k not in drop}
    out.update(extra)
    return out


def prepare() -> None:
    """Byte-compile tether (an editable install is not compiled by pip)."""
    import compileall

    import tether

    compileall.compile_dir(str(Path(tether.__file__).parent), quiet=1)


def build_venv(root: Path, lock: Path, python: str | None = None) -> Path:
    """A venv synced from *lock* with uv; returns its python."""
    venv = root / ".venv"
    subprocess.run([tool("uv"), "venv", "-q", "--python", python or sys.executable, venv], check=True)
    py = venv / "bin" / "python"
    subprocess.run([tool("uv"), "pip", "sync", "-q", "--python", py, lock], check=True, env=env())
    return py


def time_commands(
    commands: dict[str, list[str]],
    runs: int,
    *,
    cwd: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, float]:
    """Median wall time (ms) of each command, the runs interleaved so that noise is shared."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    environment = env(**(extra_env or {}))
    for argv in commands.values():  # one warm-up each
        subprocess.run(argv, cwd=cwd, env=environment, capture_output=True, check=False)
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, cwd=cwd, env=environment, capture_output=True, check=False)
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, medians: dict[str, float], baseline: str) -> str:
    """A small table: median and ratio to *baseline*."""
    lines = [title, f"{'command':<48} {'median ms':>10} {'ratio':>8}"]
    base = medians[baseline]
    for name, value in medians.items():
        lines.append(f"{name:<48} {value:>10.2f} {value / base:>7.2f}x")
    return "\n".join(lines)


def tether_commands(tether: list[str], site: Path) -> dict[str, list[str]]:
    """``tether validate`` three ways: cold, right after a change to *site*, nothing changed."""
    return {
        "tether validate (--no-cache)": [*tether, "--no-cache"],
        "tether validate (after a change)": ["sh", "-c", 'touch "$0" && exec "$@"', str(site), *tether],
        "tether validate (nothing changed)": tether,
    }


def fetter_command(py: Path, lock: Path) -> list[str]:
    """``fetter validate`` with its time-based cache off."""
    return [tool("fetter"), "-q", "--cache-duration", "0", "-e", str(py), "validate", "--bound", str(lock)]
