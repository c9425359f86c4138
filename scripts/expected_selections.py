"""Write (or check) the expected selections beside the real locks in tests/data/shared-locks.

For each lock and each stated target (Linux x86_64, CPython 3.10 and 3.12; 3.14 for the one
project that needs it), ``<lock>.expected-<target>.txt`` lists what the lock's own tool
installs there, one package a line, in the form ``tests/sources/test_shared_locks.py``
renders tether's selection in:

- ``name==version``: a package installed from an index (or an archive) at that version;
- ``name @ path`` (`` (editable)``): a local directory, relative to the lock's folder;
- ``name @ git+url@commit``: a git checkout;
- ``name @ url``: an archive named by its URL (pylock);
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
  top-level ``packages``;
- pylock.toml: ``uv pip install --dry-run -r pylock.toml`` for the target's Python version
  and platform (uv evaluates the markers); two locks need a word, given in their headers
  (pipenv's ``environments = []``, and a lock ``pip lock`` wrote on macOS arm64).

Selections other than the default (``--no-default-groups``, ``--only-group docs``,
``--dev``, ``--environment test``, ...) are in ``VARIANTS``, on CPython 3.12, each file
named after the tool's options: ``<lock>.expected-linux-cp312--no-default-groups.txt``.
Requirements files (pip-compile's and uv pip compile's output, and hand-written ones) are
read with pip's own requirements-file parser, each line's marker evaluated by packaging:
what pip is asked to install, before it resolves (which needs the index, and which tether
leaves to the installed ``Requires-Dist``).

Usage (from the repository's root, with .venv-test, which has uv, poetry,
poetry-plugin-export, pipenv and PyYAML; about a minute, offline)::

    .venv-test/bin/python scripts/expected_selections.py           # write the files
    .venv-test/bin/python scripts/expected_selections.py --check   # exit 1 if one differs
"""

from __future__ import annotations

import datetime
import json
import os
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
Flags = tuple[str, ...]


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
    #: Who evaluated the markers, for the header.
    evaluated: str = "with each kept marker evaluated for the environment below by packaging."


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


def uv_export(lock: Path, flags: Flags) -> Export:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp), "pyproject.toml")
        cmd = ["uv", "export", "--frozen", "--no-hashes", "--format", "pylock.toml", *flags]
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


def _requirement_lines(text: str, editable: dict[str, str] | None = None) -> Iterator[Entry]:
    """The lines of an exported requirements file, each with its marker (``-i``, comments and
    hash continuation lines left out); ``-e PATH`` is named by *editable* (path to name)."""
    from packaging.requirements import Requirement

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-i ", "--index-url", "--extra-index-url")):
            continue
        if line.startswith("-e "):
            path = line.removeprefix("-e ").strip()
            yield Entry(f"{canonicalize_name((editable or {})[path])} @ {path} (editable)")
            continue
        req = Requirement(line)
        marker = str(req.marker) if req.marker else None
        if req.url:
            url, _, commit = req.url.rpartition("@")
            yield Entry(f"{canonicalize_name(req.name)} @ {url}@{commit}", marker)
            continue
        (spec,) = req.specifier
        yield Entry(pinned(req.name, spec.version), marker)


def poetry_export(lock: Path, flags: Flags) -> Export:
    """``poetry export`` of the groups ``poetry sync`` installs, or of *flags* (``--only``)."""
    from poetry.factory import Factory

    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp), "pyproject.toml")
        poetry = Factory().create_poetry(cwd)
        groups = sorted(g for g in poetry.package.dependency_group_names() if g != "main")
        cmd = ["poetry", "export", "--without-hashes"]
        cmd += list(flags) if flags else (["--with", ",".join(groups)] if groups else [])
        versions = f"{version_of('poetry')}, poetry-plugin-export {_dist_version('poetry-plugin-export')}"
        if poetry.locker.is_fresh():
            text = run([str(BIN / "poetry"), *cmd[1:], "--no-interaction"], cwd)
            how = [f"`{' '.join(cmd)}` ({versions})"]
        else:
            assert not flags, "a stale lock is exported with the default groups only"
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


def pipenv_requirements(lock: Path, flags: Flags) -> Export:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp))
        env = {"PATH": str(BIN), "HOME": tmp, "PIPENV_VERBOSITY": "-1", "PIPENV_IGNORE_VIRTUALENVS": "1"}
        cmd = ["pipenv", "requirements", *flags]
        text = run([str(BIN / cmd[0]), *cmd[1:]], cwd, env)
    # `-e PATH` names no package: the lock's entry at that path does.
    data = json.loads(lock.read_text(encoding="utf-8"))
    editable = {e["path"]: n for c, es in data.items() if c != "_meta" for n, e in es.items() if "path" in e}
    how = [f"`{' '.join(cmd)}` ({version_of('pipenv')}), `-e PATH` named by the lock's entry at PATH"]
    return Export(list(_requirement_lines(text, editable)), how)


def uv_pip_pylock(lock: Path, flags: Flags, target: str) -> Export:
    """What ``uv pip install -r pylock.toml`` would install for *target* (a dry run: uv
    evaluates the markers itself, for the Python version and platform it is given)."""
    env = TARGETS[target]
    platform = "x86_64-unknown-linux-gnu"
    note = []
    if lock.parent.name == "Evernight__lazy-beancount":
        # Written by `pip lock` on macOS arm64, with no marker at all: what it selects is
        # the same everywhere, but uv will not install it on Linux (beancount has a macOS
        # arm64 wheel only), so uv is asked for macOS arm64. tether selects what the lock
        # names without judging wheels (a validated environment has its packages already).
        platform = "aarch64-apple-darwin"
        note = ["  (for macOS 14 arm64, MACOSX_DEPLOYMENT_TARGET=14.0: the lock has no marker, and uv",
                "  refuses Linux for want of wheels)"]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        cwd = copy_of(lock, Path(tmp))
        text = (cwd / lock.name).read_text(encoding="utf-8")
        if "\nenvironments = []\n" in text:
            # pipenv writes `environments = []`, which uv reads as "no environment" and
            # refuses; tether's reader takes it as unset (as PEP 751 means it to be).
            (cwd / lock.name).write_text(text.replace("\nenvironments = []\n", "\n"), encoding="utf-8")
            note += ["  (on a copy without its `environments = []`, which pipenv writes and uv refuses)"]
        cmd = ["uv", "pip", "install", "--dry-run", "--preview-features", "pylock", "--target", "t",
               "--python-version", env["python_full_version"], "--python-platform", platform,
               "-r", lock.name, *flags]  # fmt: skip
        done = subprocess.run([str(BIN / "uv"), *cmd[1:], "--offline"], cwd=cwd, capture_output=True,
                              text=True, timeout=300, check=False,
                              env={**os.environ, "MACOSX_DEPLOYMENT_TARGET": "14.0"})  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed for {lock}:\n{done.stderr}")
    entries = []
    for line in done.stderr.splitlines():
        if not line.startswith(" + "):
            continue
        package = line.removeprefix(" + ")
        if " @ " in package:  # name @ git+URL@COMMIT, name @ URL of an archive
            name, _, url = package.partition(" @ ")
            entries.append(Entry(f"{canonicalize_name(name)} @ {url}"))
            continue
        name, _, version = package.partition("==")
        assert version, f"not name==version: {line!r}"
        entries.append(Entry(pinned(name, version)))
    how = [f"`{' '.join(cmd)}` ({version_of('uv')}), the packages it would install", *note]
    return Export(entries, how, "uv evaluating the markers; the environment below is the test's target.")


def pip_requirements(lock: Path, flags: Flags) -> Export:
    """The lines pip's own requirements-file parser reads (``-r`` files followed,
    ``-c`` constraints left out), each with its marker; a range is kept as written."""
    import pip
    from packaging.requirements import Requirement
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    assert not flags
    entries = []
    for parsed in parse_requirements(str(lock), session=PipSession()):
        assert not parsed.is_editable, parsed.requirement
        if parsed.constraint:
            continue
        req = Requirement(parsed.requirement)
        name = canonicalize_name(req.name)
        marker = str(req.marker) if req.marker else None
        pins = [s for s in req.specifier if s.operator == "=="]
        if req.url:
            entries.append(Entry(f"{name} @ {req.url.partition('#')[0]}", marker))
        elif len(pins) == 1 and len(req.specifier) == 1:
            entries.append(Entry(pinned(name, pins[0].version), marker))
        else:
            entries.append(Entry(f"{name}{req.specifier}", marker))
    how = [
        f"pip {pip.__version__}'s requirements-file parser (pip._internal.req.req_file.parse_requirements):",
        "  the requirements pip would be asked to install, before resolving (a requirements file",
        "  is not a lock: `pip install -r` adds what they require, which needs the index)",
    ]
    return Export(entries, how)


def pixi_packages(lock: Path, flags: Flags) -> Export:
    """The environment's packages for linux-64 (``default``, or ``--environment NAME``)."""
    import yaml

    environment = flags[1] if flags[:1] == ("--environment",) else "default"

    data = yaml.load(lock.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    version = data["version"]
    by_ref = {}
    for pkg in data["packages"]:
        kind = pkg["kind"] if version == 5 else ("conda" if "conda" in pkg else "pypi")
        ref = (pkg.get("url") or pkg.get("path")) if version == 5 else pkg[kind]
        by_ref[(kind, ref)] = pkg
    entries = []
    for item in data["environments"][environment]["packages"]["linux-64"]:
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
        elif ref.startswith("direct+"):  # an archive by its URL
            entries.append(Entry(f"{canonicalize_name(pkg['name'])} @ {ref.removeprefix('direct+')}"))
        elif "editable" in pkg:
            entries.append(Entry(f"{canonicalize_name(pkg['name'])} @ {ref}"
                                 + (" (editable)" if pkg["editable"] else "")))  # fmt: skip
        elif "version" in pkg:
            entries.append(Entry(pinned(pkg["name"], pkg["version"])))
        else:  # a local project whose version is not recorded
            entries.append(Entry(canonicalize_name(pkg["name"])))
    how = [
        f"read from the lock with PyYAML {yaml.__version__} (pixi is not installable here):",
        f"  the `{environment}` environment's `linux-64` packages, each reference looked up in the",
        "  top-level `packages`",
    ]
    return Export(entries, how)


#: Each lock, relative to tests/data/shared-locks, with its targets and its tool.
CASES: list[tuple[str, tuple[str, ...], Callable[[Path, Flags], Export]]] = [
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
#: Requirements files, as pip reads them.
REQUIREMENTS = [
    "pip-compile/freedomofpress__securedrop/admin/requirements.txt",
    "pip-compile/mozilla__treeherder/requirements/common.txt",
    "pip-compile/sigstore__sigstore-python/install/requirements.txt",
    "uv-pip-compile/microsoft__vscode-black-formatter/requirements.txt",
    "uv-pip-compile/mozilla__pontoon/requirements/prod.txt",
    "uv-pip-compile/nedbat__coveragepy/requirements/dev.pip",
    "uv-pip-compile/nedbat__coveragepy/requirements/pins.pip",
    "pylock/Evernight__lazy-beancount/requirements.txt",
    "pylock/Evernight__lazy-beancount/requirements-extra.txt",
]
CASES += [(relpath, USUAL, pip_requirements) for relpath in REQUIREMENTS]
#: pylock files, installed by uv for one target at a time: the lock, its targets.
PYLOCKS: list[tuple[str, tuple[str, ...]]] = [
    # beancount 3.2.0 has cp312 wheels only: uv cannot install it on 3.10.
    ("pylock/Evernight__lazy-beancount/pylock.toml", ("linux-cp312",)),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.toml", USUAL),
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.minimal.toml", USUAL),
    # environments: python_version >= "3.13".
    ("pylock/Five-Colleges-Incorporated__ldlite/pylock.maximal.toml", ("linux-cp314",)),
    ("pylock/pypa__pipenv/pylock.toml", USUAL),
]


#: Selections other than the tool's defaults, on CPython 3.12: the lock, the tool's options.
VARIANTS: list[tuple[str, Flags]] = [
    ("uv-lock/pallets__flask/uv.lock", ("--no-default-groups",)),
    ("uv-lock/pallets__flask/uv.lock", ("--no-default-groups", "--extra", "async")),
    ("uv-lock/pallets__flask/uv.lock", ("--only-group", "docs")),
    ("uv-lock/PrefectHQ__fastmcp/uv.lock", ("--all-packages",)),
    ("poetry-lock/python-poetry__poetry/poetry.lock", ("--only", "main")),
    ("pipfile-lock/psf__requests-html/Pipfile.lock", ("--dev",)),
    ("pixi-lock/43ravens__NEMO_Nowcast/pixi.lock", ("--environment", "test")),
    ("pylock/pypa__pipenv/pylock.toml", ("--group", "dev")),
]


def expected_path(lock: Path, target: str, flags: Flags = ()) -> Path:
    """``<lock>.expected-<target>.txt``, ``<lock>.expected-<target>--<options>.txt`` for a
    selection other than the default (``--no-default-groups --extra async`` gives
    ``no-default-groups-extra-async``)."""
    variant = "-".join(f.lstrip("-") for f in flags)
    return lock.with_name(f"{lock.name}.expected-{target}" + (f"--{variant}" if variant else "") + ".txt")


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
        f"# {export.evaluated}",
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
    exporters = {relpath: export_of for relpath, _, export_of in CASES}
    jobs: list[tuple[str, tuple[str, ...], Flags]] = [(relpath, targets, ()) for relpath, targets, _ in CASES]
    jobs += [(relpath, ("linux-cp312",), flags) for relpath, flags in VARIANTS]
    jobs += [(relpath, targets, ()) for relpath, targets in PYLOCKS]
    for relpath, targets, flags in jobs:
        lock = LOCKS / relpath
        export = None if relpath in dict(PYLOCKS) else exporters[relpath](lock, flags)
        for target in targets:
            text = render(relpath, target, export or uv_pip_pylock(lock, flags, target), today)
            path = expected_path(lock, target, flags)
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
