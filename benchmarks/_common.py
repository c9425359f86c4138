"""Helpers shared by the benchmarks: building environments, checking and timing commands.

Every benchmark runs tether and its peers side by side in one run, interleaved (each
repetition runs every command once, so that machine noise is shared), discards one
warm-up run of each, and prints medians and ratios.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import functools
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator, Sequence

BIN = Path(sys.executable).parent

# The real uv project the benchmarks share: popular dependencies that resolve to about 80
# distributions (82 lock entries with the project, 77 installed on Linux with Python 3.11).
# ``exclude-newer`` keeps the resolution, and so the numbers, reproducible over time.
PROJECT_PYPROJECT = """\
[project]
name = "bench-project"
version = "0"
requires-python = ">=3.11"
dependencies = [
    "fastapi[standard]",
    "sqlalchemy",
    "alembic",
    "pandas",
    "httpx",
    "requests",
    "rich",
    "pydantic-settings",
    "boto3",
    "pyyaml",
    "tenacity",
    "structlog",
    "jsonschema",
]

[tool.uv]
exclude-newer = "2026-11-01T00:00:00Z"
"""


# -- tools and processes ---------------------------------------------------------------


def tool(name: str) -> str:
    """A tool beside this interpreter (the test venv has tether, uv and fetter), else on PATH."""
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} is not installed: .venv-test/bin/pip install --group bench -e .")
    return found


def base_python() -> str:
    """The machine's interpreter this venv was made from (``python3.X`` of its base)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (
        Path(sys.base_prefix) / "bin" / f"python{version}",
        Path(sys.base_prefix) / "bin/python3",
    ):
        if candidate.exists():
            return str(candidate)
    return sys.executable


def env(**extra: str) -> dict[str, str]:
    """The environment for child processes, without our own venv leaking in.

    ``PYTHONDONTWRITEBYTECODE`` is dropped: users run tools whose installer compiled
    them, and ``prepare()`` compiles tether's own source the same way.
    """
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "UV_PROJECT_ENVIRONMENT", "TETHER_SKIP"}
    out = {k: v for k, v in os.environ.items() if k not in drop}
    out.update(extra)
    return out


def run(argv: Sequence[str | Path], *, cwd: Path | None = None, **extra_env: str) -> str:
    """Run a set-up step; on failure, exit with what it printed."""
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env(**extra_env), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        command = " ".join(map(str, argv))
        sys.exit(f"set-up step failed (exit {proc.returncode}): {command}\n{proc.stdout}{proc.stderr}")
    return proc.stdout


@functools.cache
def scratch() -> Path:
    """This run's own temporary directory, removed when the run ends."""
    path = Path(tempfile.mkdtemp(prefix="tether-bench-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def prepare(parser: argparse.ArgumentParser, default_runs: int) -> argparse.Namespace:
    """Common options, then byte-compile tether and give this run a cache of its own.

    An editable install is not compiled by pip; users run a compiled tether. Child
    processes get a fresh ``TETHER_CACHE_DIR`` in ``scratch()``, so that every run starts
    from the same (empty) cache and never touches the user's.
    """
    parser.add_argument(
        "--runs", type=int, default=default_runs, help=f"timed runs of each command (default: {default_runs})"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio misses its target")
    parser.add_argument(
        "--rebuild", action="store_true", help="rebuild the uv project even if a built one is kept"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    import compileall

    import tether

    compileall.compile_dir(str(Path(tether.__file__).parent), quiet=1)
    os.environ["TETHER_CACHE_DIR"] = str(scratch() / "tether-cache")
    return args


# -- environments ----------------------------------------------------------------------


def site_packages(venv: Path) -> Path:
    """The ``site-packages`` of a POSIX venv."""
    (site,) = (venv / "lib").glob("python3*/site-packages")
    return site


def count_dists(venv: Path) -> int:
    return len(list(site_packages(venv).glob("*.dist-info")))


@dataclass(frozen=True)
class Project:
    """A locked and synced uv project."""

    root: Path
    lock: Path  # uv.lock
    freeze: Path  # ``uv pip freeze`` of its environment, as a requirements.txt

    @property
    def venv(self) -> Path:
        return self.root / ".venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def site(self) -> Path:
        return site_packages(self.venv)

    def packages(self) -> int:
        """Packages in uv.lock (the virtual project itself included, as uv counts them)."""
        return self.lock.read_text().count("[[package]]")


def uv_check() -> list[str]:
    """``uv sync --check`` (run in the project): would syncing change nothing? The lock is
    checked against pyproject.toml too; ``--offline`` since nothing needs the network."""
    return [tool("uv"), "sync", "--check", "--offline", "-q"]


def uv_project(*, rebuild: bool = False) -> Project:
    """The benchmark's uv project, built once and kept under a stable temporary path.

    The path is keyed by ``PROJECT_PYPROJECT``, uv's version and the interpreter, so a
    changed recipe builds a new project; an existing one is reused only if it is complete
    and ``uv sync --check`` agrees that its environment is in sync.
    """
    uv_version = run([tool("uv"), "--version"]).strip()
    key = hashlib.sha256(f"{PROJECT_PYPROJECT}\0{uv_version}\0{base_python()}".encode()).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"tether-bench-project-{key}"
    project = Project(root, root / "uv.lock", root / "freeze.txt")
    with _locked(root.with_suffix(".lock")):
        done = root / ".built"
        if done.exists() and not rebuild:
            proc = subprocess.run(uv_check(), cwd=root, env=env(), capture_output=True, check=False)
            if proc.returncode == 0:
                return project
        print(f"building the uv project in {root} ...", file=sys.stderr, flush=True)
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(PROJECT_PYPROJECT)
        run([tool("uv"), "lock", "-q", "--python", base_python()], cwd=root)
        run([tool("uv"), "sync", "--frozen", "-q", "--python", base_python()], cwd=root)
        run(uv_check(), cwd=root)
        freeze = run([tool("uv"), "pip", "freeze", "--python", project.python])
        lines = [line for line in freeze.splitlines() if line.strip() and not line.startswith("-e")]
        project.freeze.write_text("\n".join(lines) + "\n")
        done.touch()
    return project


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on *path*, so that two benchmarks never build at once."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def project_twin(project: Project, venv: Path) -> Path:
    """A venv at *venv* synced from the project's uv.lock like its own ``.venv``; its python."""
    run(
        [tool("uv"), "sync", "--frozen", "--offline", "-q", "--python", base_python()],
        cwd=project.root,
        UV_PROJECT_ENVIRONMENT=str(venv),
    )
    return venv / "bin" / "python"


def bare_venv(venv: Path) -> Path:
    """``python -m venv --without-pip`` from the machine's interpreter; its python."""
    run([base_python(), "-m", "venv", "--without-pip", venv])
    return venv / "bin" / "python"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def synthetic_dists(count: int) -> list[tuple[str, str]]:
    """*count* (name, version) pairs, the same on every call."""
    return [(f"bench-pkg-{i:04d}", f"{1 + i % 7}.{i % 13}.{i % 5}") for i in range(count)]


def write_dists(site: Path, dists: list[tuple[str, str]]) -> None:
    """Install *dists* into *site* as ``.dist-info`` folders, each with METADATA (Name
    and Version headers), INSTALLER and RECORD (no modules: only the metadata counts)."""
    for name, version in dists:
        info = f"{name.replace('-', '_')}-{version}.dist-info"
        files = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
            "INSTALLER": b"pip\n",
        }
        (site / info).mkdir()
        record = []
        for rel, data in files.items():
            (site / info / rel).write_bytes(data)
            record.append(f"{info}/{rel},{_record_hash(data)}")
        record.append(f"{info}/RECORD,,")
        (site / info / "RECORD").write_text("\n".join(record) + "\n")


def loaded_modules(python: Path) -> set[str]:
    """The modules *python* has imported by the time ``-c`` code runs (start-up hooks show here)."""
    out = run([python, "-c", "import sys; print('\\n'.join(sys.modules))"])
    return set(out.split())


def check_starts_cleanly(python: Path) -> None:
    """``python -c pass`` exits 0 and prints nothing (a valid environment: the hook is silent)."""
    proc = subprocess.run([str(python), "-c", "pass"], capture_output=True, text=True, env=env(), check=False)
    if proc.returncode != 0 or proc.stdout or proc.stderr:
        sys.exit(
            f"{python} -c pass does not start cleanly (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )


def check_hook_loaded(hooked: Path, bare: Path) -> None:
    """*hooked* imports at start-up something its bare twin does not: a hook runs."""
    if not loaded_modules(hooked) - loaded_modules(bare):
        sys.exit(f"{hooked} imports nothing more than its bare twin {bare}: is the hook installed?")


def check_hook_reports_drift(hooked: Path, site: Path) -> None:
    """The hook of *hooked* notices a change: with an unexpected distribution added to
    *site*, a start must name it on stderr; once it is removed, a start is clean again
    (and the hook's stored answer is valid for the timed runs)."""
    write_dists(site, [("zz-bench-drift", "1.0")])
    proc = subprocess.run([str(hooked), "-c", "pass"], capture_output=True, text=True, env=env(), check=False)
    shutil.rmtree(site / "zz_bench_drift-1.0.dist-info")
    if "zz-bench-drift" not in proc.stderr and "zz_bench_drift" not in proc.stderr:
        sys.exit(f"the hook of {hooked} did not report an added distribution:\n{proc.stderr}")
    check_starts_cleanly(hooked)


def bump_mtime(path: Path) -> None:
    """Give *path* a new modification time (later than its current one), content unchanged."""
    new = max(time.time_ns(), path.stat().st_mtime_ns + 1_000_000)
    os.utime(path, ns=(new, new))


def editor(path: Path) -> Callable[[], None]:
    """A function that edits *path* (a TOML or requirements file) each time it is called:
    a trailing comment line that counts, so that the content really differs, as after a
    ``git pull`` that changed the lock. The original is restored at exit."""
    original = path.read_bytes()
    atexit.register(path.write_bytes, original)
    count = 0

    def edit() -> None:
        nonlocal count
        count += 1
        path.write_bytes(original + f"# edit {count}\n".encode())

    return edit


# -- timing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A command to time; *before* runs before each run of it, untimed."""

    argv: Sequence[str | Path]
    cwd: Path | None = None
    before: Callable[[], None] | None = None


def check_ok(name: str, command: Command) -> None:
    """The command exits 0 (for the validators: says the environment is valid), or we stop."""
    if command.before is not None:
        command.before()
    argv = [str(a) for a in command.argv]
    proc = subprocess.run(argv, cwd=command.cwd, env=env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"{name}: exit {proc.returncode}, not 0: {' '.join(argv)}\n{proc.stdout}{proc.stderr}")


def time_commands(commands: dict[str, Command], runs: int) -> dict[str, float]:
    """Median wall time (ms) of each command over *runs*, interleaved; one warm-up discarded.

    Each command is checked to succeed first. Each repetition runs every command once,
    each right after its own *before*, in an order rotated from one repetition to the next.
    """
    for name, command in commands.items():
        check_ok(name, command)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    environment = env()
    prepared = [(name, [str(a) for a in c.argv], c) for name, c in commands.items()]
    for repetition in range(runs + 1):
        turn = repetition % len(prepared)  # rotated, so that no command always runs first
        for name, argv, command in prepared[turn:] + prepared[:turn]:
            if command.before is not None:
                command.before()
            start = time.perf_counter()
            subprocess.run(argv, cwd=command.cwd, env=environment, capture_output=True, check=False)
            elapsed = (time.perf_counter() - start) * 1000
            if repetition:  # the first is the warm-up
                samples[name].append(elapsed)
    return {name: statistics.median(values) for name, values in samples.items()}


# -- reporting -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a table: *median* ms, its ratio to *base* ms, and the ratio it should keep to."""

    what: str
    median: float
    base: float | None = None
    target: float | None = None

    @property
    def missed(self) -> bool:
        return self.target is not None and self.base is not None and self.median / self.base > self.target


def table(title: str, rows: list[Row]) -> str:
    """``what | median ms | ratio | target`` as aligned text."""
    width = max(len(r.what) for r in rows)
    lines = [title, f"{'what':<{width}} | {'median ms':>9} | {'ratio':>6} | target"]
    lines.append(f"{'-' * width}-|-{'-' * 9}-|-{'-' * 6}-|-------")
    for r in rows:
        ratio = f"{r.median / r.base:5.2f}x" if r.base else ""
        target = ""
        if r.target is not None:
            target = f"<= {r.target:.2f}x {'MISSED' if r.missed else 'ok'}"
        lines.append(f"{r.what:<{width}} | {r.median:>9.1f} | {ratio:>6} | {target}".rstrip(" |"))
    return "\n".join(lines)


def finish(rows: list[Row], strict: bool) -> None:
    """With ``--strict``, exit 1 if any ratio missed its target."""
    missed = [r.what for r in rows if r.missed]
    if missed and strict:
        sys.exit(f"targets missed: {', '.join(missed)}")


def fetter_validate(python: Path, bound: Path, *, cache: bool = False) -> list[str]:
    """``fetter validate`` of one interpreter only (``-e``), exit code 3 on drift.

    ``-c 0`` (``--cache-duration 0``) turns fetter's time-based cache off; with *cache*,
    its default 120 s cache is used (in a directory of this run's own).
    """
    argv = [tool("fetter"), "-q", "-e", str(python)]
    if cache:
        cache_dir = scratch() / "fetter-cache"
        cache_dir.mkdir(exist_ok=True)
        argv += ["--cache-directory", str(cache_dir)]
    else:
        argv += ["-c", "0"]
    return [*argv, "validate", "--bound", str(bound), "exit"]
