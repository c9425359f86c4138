"""Write (or check) the expected selections beside the real locks in tests/data/shared-locks.

For each lock and each stated target (Linux x86_64, CPython 3.10 and 3.12; 3.14 for the one
project that needs it), ``<lock>.expected-<target>.txt`` lists what the lock's own tool
installs there, one package a line, in the form ``tests/sources/test_shared_locks.py``
renders tether's selection in:

- ``name==version``: a package installed from an index (or an archive) at that version;
- ``name @ path`` (`` (editable)``): a local directory, relative to the lock's folder;
- ``name @ git+url@commit``: a git checkout;
- ``name``: a package the lock leaves unpinned.

Pixi's conda packages are listed too, as ``conda name==version``. Names are normalised
(PEP 503), as tether compares them.

Each file's header says how it was produced (command, tool version, date) and gives the
marker environment as JSON: the test builds its target from that line, so the file and the
test cannot disagree about the target. Every lock is exported by its own tool where that
runs offline, and the markers the export keeps are evaluated with ``packaging``:

- uv.lock: ``uv export --frozen --no-hashes --format pylock.toml`` (the pylock format
  names the workspace members, which the requirements format writes as ``-e ./path``);
- poetry.lock: ``poetry export --without-hashes --with <groups>`` (poetry-plugin-export),
  the groups being those ``poetry sync`` installs (poetry's own
  ``dependency_group_names()``: the non-optional ones), plus the project itself, which
  ``poetry sync`` installs editable and ``poetry export`` leaves out. A lock poetry calls
  stale (``pyproject.toml changed significantly``), which the command refuses, is exported
  by the plugin's ``Exporter`` (the code behind the command) called directly;
- Pipfile.lock: ``pipenv requirements`` (the ``default`` category, as ``pipenv sync``);
- pixi.lock: pixi is not installable from the package registry here, so the selection is
  read from the lock itself with PyYAML, as pixi documents it: the ``default``
  environment's ``packages`` list for ``linux-64``, each reference looked up in the
  top-level ``packages``.

Usage (from the repository's root, with .venv-test, which has uv, poetry,
poetry-plugin-export, pipenv and PyYAML)::

    .venv-test/bin/python scripts/expected_selections.py           # write the files
    .venv-test/bin/python scripts/expected_selections.py --check   # exit 1 if one differs
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tomllib  # the script runs on 3.11+ (.venv-test)
from packaging.markers import Marker
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "tests" / "data" / "shared-locks"
BIN = Path(sys.executable).parent


def _linux_cpython(minor: int, micro: int) -> dict[str, str]:
    full = f"3.{minor}.{micro}"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "6.1.0",
        "platform_system": "Linux",
        "platform_version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0",
        "python_full_version": full,
        "python_version": f"3.{minor}",
        "sys_platform": "linux",
    }


#: The stated targets: a marker environment each.
TARGETS = {
    "linux-cp310": _linux_cpython(10, 16),
    "linux-cp312": _linux_cpython(12, 8),
    "linux-cp314": _linux_cpython(14, 0),
}
USUAL = ("linux-cp310", "linux-cp312")


@dataclass(frozen=True)
class Entry:
    """One package of an export, with the marker the export keeps on it."""

    line: str
    marker: str | None = None


@dataclass(frozen=True)
class Export:
    entries: list[Entry]
    #: How it was produced, for the header: the command and the tool's version.
    how: list[str]


def pinned(name: str, version: str) -> str:
    try:
        shown = str(Version(version))
    except InvalidVersion:
        shown = version
    return f"{canonicalize_name(name)}=={shown}"


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stderr}")
    return done.stdout


def version_of(tool: str) -> str:
    return run([str(BIN / tool), "--version"], ROOT).strip()


def copy_of(lock: Path, tmp: Path, *names: str) -> Path:
    """The lock (and its companions) in a folder of their own, so no tool writes beside them."""
    for name in (lock.name, *names):
        if (lock.parent / name).exists():
            shutil.copy(lock.parent / name, tmp / name)
    return tmp


def uv_export(lock: Path) -> Export:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp), "pyproject.toml")
        cmd = ["uv", "export", "--frozen", "--no-hashes", "--format", "pylock.toml"]
        data = tomllib.loads(run([str(BIN / cmd[0]), *cmd[1:], "--offline"], cwd))
    entries = []
    for pkg in data["packages"]:
        name = canonicalize_name(pkg["name"])
        if "directory" in pkg:
            where = pkg["directory"]
            line = f"{name} @ {where['path']}" + (" (editable)" if where.get("editable") else "")
        elif "vcs" in pkg:
            line = f"{name} @ git+{pkg['vcs']['url']}@{pkg['vcs']['commit-id']}"
        else:
            line = pinned(name, pkg["version"])
        entries.append(Entry(line, pkg.get("marker")))
    return Export(entries, [f"`{' '.join(cmd)}` ({version_of('uv')})"])


def _requirement_lines(text: str) -> Iterator[Entry]:
    """The lines of an exported requirements file, each with its marker (``-i``, comments and
    hash continuation lines left out)."""
    from packaging.requirements import Requirement

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-i ", "--index-url", "--extra-index-url")):
            continue
        req = Requirement(line)
        marker = str(req.marker) if req.marker else None
        if req.url:
            url, _, commit = req.url.rpartition("@")
            yield Entry(f"{canonicalize_name(req.name)} @ {url}@{commit}", marker)
            continue
        (spec,) = req.specifier
        yield Entry(pinned(req.name, spec.version), marker)


def poetry_export(lock: Path) -> Export:
    from poetry.factory import Factory

    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp), "pyproject.toml")
        poetry = Factory().create_poetry(cwd)
        groups = sorted(g for g in poetry.package.dependency_group_names() if g != "main")
        cmd = ["poetry", "export", "--without-hashes"] + (["--with", ",".join(groups)] if groups else [])
        versions = f"{version_of('poetry')}, poetry-plugin-export {_dist_version('poetry-plugin-export')}"
        if poetry.locker.is_fresh():
            text = run([str(BIN / "poetry"), *cmd[1:], "--no-interaction"], cwd)
            how = [f"`{' '.join(cmd)}` ({versions})"]
        else:
            text = _exporter(poetry, ["main", *groups], cwd)
            how = [
                f"poetry-plugin-export's Exporter for groups main, {', '.join(groups)} ({versions}):",
                "  poetry calls this lock stale, and `poetry export` refuses a stale lock",
            ]
    entries = list(_requirement_lines(text))
    if poetry.is_package_mode:
        entries.append(Entry(f"{canonicalize_name(poetry.package.name)} @ . (editable)"))
        how.append("plus the project itself, which `poetry sync` installs editable and `poetry export` omits")
    return Export(entries, how)


def _exporter(poetry: object, groups: list[str], cwd: Path) -> str:
    from cleo.io.null_io import NullIO
    from poetry_plugin_export.exporter import Exporter  # type: ignore[import-untyped]

    out = cwd / "exported.txt"
    exporter = Exporter(poetry, NullIO())
    exporter.only_groups([canonicalize_name(g) for g in groups]).with_hashes(False)
    exporter.export(Exporter.FORMAT_REQUIREMENTS_TXT, cwd, str(out))
    return out.read_text(encoding="utf-8")


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def pipenv_requirements(lock: Path) -> Export:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp))
        env = {"PATH": str(BIN), "HOME": tmp, "PIPENV_VERBOSITY": "-1", "PIPENV_IGNORE_VIRTUALENVS": "1"}
        text = run([str(BIN / "pipenv"), "requirements"], cwd, env)
    return Export(list(_requirement_lines(text)), [f"`pipenv requirements` ({version_of('pipenv')})"])


def pixi_packages(lock: Path) -> Export:
    import yaml

    data = yaml.load(lock.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    version = data["version"]
    by_ref = {}
    for pkg in data["packages"]:
        kind = pkg["kind"] if version == 5 else ("conda" if "conda" in pkg else "pypi")
        ref = (pkg.get("url") or pkg.get("path")) if version == 5 else pkg[kind]
        by_ref[(kind, ref)] = pkg
    entries = []
    for item in data["environments"]["default"]["packages"]["linux-64"]:
        ((kind, ref),) = item.items()
        pkg = by_ref.get((kind, ref), {})
        if kind == "conda":
            if "name" in pkg:
                name, ver = pkg["name"], pkg["version"]
            else:  # name-version-build.conda
                filename = ref.rsplit("/", 1)[-1].removesuffix(".conda").removesuffix(".tar.bz2")
                name, ver, _ = filename.rsplit("-", 2)
            entries.append(Entry(f"conda {pinned(name, ver)}"))
        elif ref.startswith("git+"):  # git+URL?rev=REV#COMMIT
            url, _, commit = ref.partition("#")
            entries.append(Entry(f"{canonicalize_name(pkg['name'])} @ {url.partition('?')[0]}@{commit}"))
        elif "editable" in pkg:
            entries.append(Entry(f"{canonicalize_name(pkg['name'])} @ {ref}"
                                 + (" (editable)" if pkg["editable"] else "")))  # fmt: skip
        elif "version" in pkg:
            entries.append(Entry(pinned(pkg["name"], pkg["version"])))
        else:  # a local project whose version is not recorded
            entries.append(Entry(canonicalize_name(pkg["name"])))
    how = [
        f"read from the lock with PyYAML {yaml.__version__} (pixi is not installable here): the `default`",
        "  environment's `linux-64` packages, each reference looked up in the top-level `packages`",
    ]
    return Export(entries, how)


#: Each lock, relative to tests/data/shared-locks, with its targets and its tool.
CASES: list[tuple[str, tuple[str, ...], Callable[[Path], Export]]] = [
    ("uv-lock/pallets__flask/uv.lock", USUAL, uv_export),
    ("uv-lock/PrefectHQ__fastmcp/uv.lock", USUAL, uv_export),
    # requires-python = ">=3.14": uv refuses 3.10 and 3.12, and so does tether.
    ("uv-lock/fastapi__full-stack-fastapi-template/uv.lock", ("linux-cp314",), uv_export),
    ("poetry-lock/Davidy22__SkunkBooth/poetry.lock", USUAL, poetry_export),
    ("poetry-lock/python-poetry__poetry/poetry.lock", USUAL, poetry_export),
    ("poetry-lock/sdispater__pendulum/poetry.lock", USUAL, poetry_export),
    ("pipfile-lock/ONSdigital__eq-survey-runner/Pipfile.lock", USUAL, pipenv_requirements),
    ("pipfile-lock/bridgecrewio__checkov/Pipfile.lock", USUAL, pipenv_requirements),
    ("pipfile-lock/psf__requests-html/Pipfile.lock", USUAL, pipenv_requirements),
    ("pylock/pypa__pipenv/Pipfile.lock", USUAL, pipenv_requirements),
    ("pixi-lock/2986002971__ACT/pixi.lock", USUAL, pixi_packages),
    ("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", USUAL, pixi_packages),
    ("pixi-lock/prefix-dev__pixi/examples/pypi-source-deps/pixi.lock", USUAL, pixi_packages),
]


def expected_path(lock: Path, target: str) -> Path:
    return lock.with_name(f"{lock.name}.expected-{target}.txt")


def render(relpath: str, target: str, export: Export, today: str) -> str:
    env = TARGETS[target]
    kept = [e.line for e in export.entries if e.marker is None or Marker(e.marker).evaluate(env)]
    # pip installs a name once, even where an export lists it twice (Pipfile.lock's
    # `google-auth` and `google.auth`); conda packages are listed as often as the
    # environment names them (`cached-property` and `cached_property` are two packages with
    # one normalised name).
    selected = sorted({line for line in kept if not line.startswith("conda ")}) + sorted(
        line for line in kept if line.startswith("conda ")
    )
    header = [
        f"# What the tool installs from {relpath} on {target}"
        f" (Linux x86_64, CPython {env['python_version']}).",
        *(f"# {line}" for line in [f"Produced on {today} with:", *(f"  {h}" for h in export.how)]),
        "# with each kept marker evaluated for the environment below by packaging.",
        "# Regenerate: .venv-test/bin/python scripts/expected_selections.py",
        f"# environment: {json.dumps(env, sort_keys=True)}",
    ]
    return "\n".join([*header, *selected]) + "\n"


def body(text: str) -> list[str]:
    """What a check compares: the packages and the environment, not the date or versions."""
    kept = ("# environment:",)
    return [line for line in text.splitlines() if not line.startswith("#") or line.startswith(kept)]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    stale = []
    for relpath, targets, export_of in CASES:
        lock = LOCKS / relpath
        export = export_of(lock)
        for target in targets:
            text = render(relpath, target, export, today)
            path = expected_path(lock, target)
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            shown = path.relative_to(ROOT)
            if check:
                if body(old) != body(text):
                    stale.append(str(shown))
            elif body(old) != body(text):
                path.write_text(text, encoding="utf-8")
                print(f"wrote {shown}")  # noqa: T201 - a script's report
    for name in stale:
        print(f"differs from its tool's export: {name}", file=sys.stderr)  # noqa: T201
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
