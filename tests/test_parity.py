"""Parity: ``tether validate`` and the start-up hook give one verdict.

One table of scenarios, each an environment of hand-written distributions in a real venv,
a bound file and options. Each is installed with ``tether site-install`` and then
checked in its installed state and after every step of a drift (a stray distribution, a
removal, another version, another source, an unrelated change, a new lock), in order.
At every step:

- ``tether validate --format json`` in a child process, with ``--no-cache`` and twice
  without it (a fresh computation, the compiled-expectation path and the result cache),
  gives one set of findings: the reference;
- in process, the runtime comparison (:func:`tether.runtime.compare.compare`) of a fresh
  scan of the venv with the expectation the hook judges with gives the same findings:
  the one stored by ``site-install`` when the hook may judge alone (certain and settled),
  the one ``site-refresh`` stored otherwise;
- a real start of the venv's ``python`` prints exactly the report of those findings and
  stops with the exit code in exit mode (or starts, in warn mode), and the drift lines it
  prints parse back to the same (name, status, installed, expected).
"""

from __future__ import annotations

import json
import marshal
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import DATA, MakeDist, clean_env, run, site_packages, tether
from tether.runtime import recheck, startup
from tether.runtime.compare import compare, settled
from tether.runtime.names import canonical
from tether.runtime.scan import digest, scan
from tether.validate import contains

pytestmark = pytest.mark.flows

EXIT_CODE = 3
SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER_SHA = "fedcba9876543210fedcba9876543210fedcba98"

# -- the environment ---------------------------------------------------------------------


@dataclass(frozen=True)
class D:
    """A distribution as an installer leaves it: ``{root}`` in URLs is the project folder."""

    name: str
    version: str | None = "1.0"
    requires: tuple[str, ...] = ()
    #: ``direct_url.json`` (PEP 610); ``raw_url`` writes bytes instead (an unreadable one).
    url: dict[str, Any] | None = None
    raw_url: bytes | None = None
    folder: str | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.version}" + (" (direct)" if self.url or self.raw_url else "")


def editable(path: str = "{root}") -> dict[str, Any]:
    return {"url": f"file://{path}", "dir_info": {"editable": True}}


def git(url: str, commit: str = SHA, revision: str | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"vcs": "git", "commit_id": commit}
    if revision is not None:
        info["requested_revision"] = revision
    return {"url": url, "vcs_info": info}


def archive(url: str) -> dict[str, Any]:
    return {"url": url, "archive_info": {"hashes": {"sha256": "ab"}}}


def _fill(value: Any, root: str) -> Any:
    if isinstance(value, str):
        return value.replace("{root}", root)
    if isinstance(value, dict):
        return {k: _fill(v, root) for k, v in value.items()}
    return value


@dataclass
class Env:
    """A project folder with its bound files and a venv holding hand-written dists."""

    root: Path
    python: Path
    site: Path
    make_dist: MakeDist

    def write(self, dist: D) -> None:
        path = self.make_dist(
            self.site,
            dist.name,
            dist.version,
            requires=dist.requires,
            direct_url=_fill(dist.url, str(self.root)) if dist.url is not None else None,
            folder=dist.folder,
        )
        if dist.raw_url is not None:
            (path / "direct_url.json").write_bytes(dist.raw_url)

    def remove(self, name: str) -> None:
        """Every metadata folder of *name*, as an uninstall removes it."""
        found = [p for p in self.site.glob("*.dist-info") if canonical(p.name.partition("-")[0]) == name]
        assert found, f"nothing of {name} to remove"
        for path in found:
            shutil.rmtree(path)


# -- drift steps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Add:
    dist: D

    def apply(self, env: Env) -> None:
        env.write(self.dist)

    def __str__(self) -> str:
        return f"add {self.dist}"


@dataclass(frozen=True)
class Remove:
    name: str

    def apply(self, env: Env) -> None:
        env.remove(self.name)

    def __str__(self) -> str:
        return f"remove {self.name}"


@dataclass(frozen=True)
class Replace:
    """Another version or source of a distribution, or the same one again (a reinstall)."""

    dist: D

    def apply(self, env: Env) -> None:
        env.remove(canonical(self.dist.name))
        env.write(self.dist)

    def __str__(self) -> str:
        return f"reinstall as {self.dist}"


@dataclass(frozen=True)
class Unrelated:
    """A change to site-packages that is no distribution (a module, a ``.pth`` file)."""

    def apply(self, env: Env) -> None:
        n = len(list(env.site.glob("unrelated_*.py")))
        (env.site / f"unrelated_{n}.py").write_text("X = 1\n")

    def __str__(self) -> str:
        return "an unrelated file in site-packages"


@dataclass(frozen=True)
class Relock:
    """The bound changes (a ``git pull``): the hook hands over to tether."""

    file: str
    text: str

    def apply(self, env: Env) -> None:
        (env.root / self.file).write_text(self.text.replace("{root}", str(env.root)))

    def __str__(self) -> str:
        return f"new {self.file}"


@dataclass(frozen=True)
class Touch:
    """A bound file written again with the same content (a checkout back and forth)."""

    file: str

    def apply(self, env: Env) -> None:
        path = env.root / self.file
        path.write_bytes(path.read_bytes())

    def __str__(self) -> str:
        return f"{self.file} touched"


Drift = Add | Remove | Replace | Unrelated | Relock | Touch


@dataclass(frozen=True)
class Step:
    drift: Drift
    #: What validate must say afterwards, where the scenario is about it (``None``: only
    #: parity is asserted).
    valid: bool | None = None


def standard(first: D, second: str, *, source: D | None = None) -> tuple[Step, ...]:
    """A stray dist (and its removal), *first* at another version and from a directory,
    and *second* removed."""
    assert first.version is not None
    return (
        Step(Add(D("stray-pkg", "0.1")), valid=False),
        Step(Remove("stray-pkg")),
        Step(Unrelated()),
        Step(Replace(D(first.name, "0.0.1", first.requires, first.url)), valid=False),
        Step(Replace(source or D(first.name, first.version, first.requires, editable("/elsewhere/src")))),
        Step(Remove(second), valid=False),
    )


@dataclass(frozen=True)
class Scenario:
    id: str
    files: dict[str, str]
    dists: tuple[D, ...]
    lock: str = "requirements.txt"
    options: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    mode: str = "exit"
    #: Whether the hook may judge the installed state alone (a certain expectation), or
    #: must hand every change to tether.
    alone: bool = True
    #: What validate says of the installed state.
    valid: bool = True
    #: Files copied from tests/data into the project folder: {destination: source}.
    copies: dict[str, Path] = field(default_factory=dict)
    #: ``--lock`` as an absolute path; else as typed in the project folder (the cwd).
    absolute: bool = False
    #: A known disagreement: the scenario fails until it is fixed (strict xfail).
    bug: str | None = None

    def lock_arg(self, env: Env) -> str:
        return str(env.root / self.lock) if self.absolute else self.lock


# -- bounds -----------------------------------------------------------------------------------

REQUESTS_2_32_3 = (
    "charset-normalizer<4,>=2",
    "idna<4,>=2.5",
    "urllib3<3,>=1.21.1",
    "certifi>=2017.4.17",
    'PySocks!=1.5.7,>=1.5.6; extra == "socks"',
    'chardet<6,>=3.0.2; extra == "use-chardet-on-py3"',
)
REQUESTS_DEPS = (
    D("certifi", "2024.8.30"),
    D("charset-normalizer", "3.4.0"),
    D("idna", "3.10"),
    D("urllib3", "2.2.3"),
)

UV_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.8"
dependencies = ["six", "idna>=3", "gitdep"]

[project.optional-dependencies]
cli = ["click"]

[dependency-groups]
dev = ["devtool"]

[tool.uv.sources]
gitdep = { git = "https://github.example/org/gitdep", rev = "v2.0" }

[build-system]
requires = ["uv_build>=0.8,<0.20"]
build-backend = "uv_build"
"""
UV_LOCK = f"""\
version = 1
revision = 3
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "gitdep" }},
    {{ name = "idna" }},
    {{ name = "six" }},
]

[package.optional-dependencies]
cli = [
    {{ name = "click" }},
]

[package.dev-dependencies]
dev = [
    {{ name = "devtool" }},
]

[package.metadata]
requires-dist = [
    {{ name = "click", marker = "extra == 'cli'" }},
    {{ name = "gitdep", git = "https://github.example/org/gitdep?rev=v2.0" }},
    {{ name = "idna", specifier = ">=3" }},
    {{ name = "six" }},
]
provides-extras = ["cli"]

[package.metadata.requires-dev]
dev = [{{ name = "devtool" }}]

[[package]]
name = "click"
version = "8.1.7"
source = {{ registry = "https://index.example/simple" }}
sdist = {{ url = "https://files.index.example/click-8.1.7.tar.gz", hash = "sha256:ca", size = 1 }}

[[package]]
name = "devtool"
version = "1.0.0"
source = {{ registry = "https://index.example/simple" }}
sdist = {{ url = "https://files.index.example/devtool-1.0.0.tar.gz", hash = "sha256:cb", size = 1 }}

[[package]]
name = "gitdep"
version = "2.0"
source = {{ git = "https://github.example/org/gitdep?rev=v2.0#{SHA}" }}

[[package]]
name = "idna"
version = "3.6"
source = {{ registry = "https://index.example/simple" }}
sdist = {{ url = "https://files.index.example/idna-3.6.tar.gz", hash = "sha256:cc", size = 1 }}

[[package]]
name = "six"
version = "1.16.0"
source = {{ registry = "https://index.example/simple" }}
sdist = {{ url = "https://files.index.example/six-1.16.0.tar.gz", hash = "sha256:cd", size = 1 }}
"""
UV_DISTS = (
    D("app", "0.1.0", url=editable()),
    D("gitdep", "2.0", url=git("https://github.example/org/gitdep.git", revision="v2.0")),
    D("idna", "3.6"),
    D("six", "1.16"),  # locked as 1.16.0
    D("devtool", "1.0.0"),
)

POETRY_PYPROJECT = """\
[project]
name = "poetry-app"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["certifi (>=2024.1)", "gitdep @ git+https://github.example/org/gitdep.git@v2.0"]

[tool.poetry.group.dev.dependencies]
devtool = "^1.0"

[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
"""
POETRY_LOCK = f"""\
# This file is automatically @generated by Poetry 2.1.1 and should not be changed by hand.

[[package]]
name = "certifi"
version = "2024.8.30"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
groups = ["main"]
files = [
    {{file = "certifi-2024.8.30-py3-none-any.whl", hash = "sha256:92"}},
]

[[package]]
name = "devtool"
version = "1.2.0"
description = "A development tool."
optional = false
python-versions = ">=3.8"
groups = ["dev"]
files = [
    {{file = "devtool-1.2.0-py3-none-any.whl", hash = "sha256:93"}},
]

[[package]]
name = "gitdep"
version = "2.0"
description = "From git."
optional = false
python-versions = ">=3.8"
groups = ["main"]
files = []
develop = false

[package.source]
type = "git"
url = "https://github.example/org/gitdep.git"
reference = "v2.0"
resolved_reference = "{SHA}"

[metadata]
lock-version = "2.1"
python-versions = ">=3.9"
content-hash = "d689549570f78bfb5a3943d001beaf98f00875cee90f06305567647c987ade8f"
"""
POETRY_DISTS = (
    D("poetry-app", "0.1.0", url=editable()),
    D("certifi", "2024.8.30"),
    D("gitdep", "2.0", url=git("https://github.example/org/gitdep.git", revision="v2.0")),
    D("devtool", "1.2.0"),
    D("setuptools", "75.1.0"),  # seeded by virtualenv where poetry syncs
)

PIPFILE_LOCK = json.dumps(
    {
        "_meta": {
            "hash": {"sha256": "00"},
            "pipfile-spec": 6,
            "requires": {"python_version": "3.11"},
            "sources": [{"name": "pypi", "url": "https://index.example/simple", "verify_ssl": True}],
        },
        "default": {
            "certifi": {
                "hashes": ["sha256:92"],
                "index": "pypi",
                "markers": "python_version >= '3.6'",
                "version": "==2024.8.30",
            },
            "gitdep": {"git": "https://github.example/org/gitdep.git", "ref": SHA},
            "localpkg": {"editable": True, "path": "./localpkg"},
            "win-only": {"markers": "sys_platform == 'win32'", "version": "==1.0"},
            "anyver": {"version": "*"},
        },
        "develop": {"devtool": {"hashes": ["sha256:93"], "index": "pypi", "version": "==1.2.0"}},
    },
    indent=4,
)
PIPFILE_DISTS = (
    D("certifi", "2024.8.30"),
    D("gitdep", "2.0", url=git("https://github.example/org/gitdep.git")),
    D("localpkg", "0.3", url=editable("{root}/localpkg")),
    D("anyver", "7.0"),
    D("devtool", "1.2.0"),
)


def pylock(*packages: tuple[str, str]) -> str:
    """A ``pylock.toml`` of index packages (name, version)."""
    out = ['lock-version = "1.0"', 'created-by = "hand"', 'requires-python = ">=3.8"', ""]
    for name, version in packages:
        wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        out += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ name = "{wheel}", url = "https://files.index.example/{wheel}", hashes = {{ sha256 = "aa" }} }}]',
            "",
        ]
    return "\n".join(out)


PYLOCK_SOURCES = (
    D("from-index", "1.0"),
    D("from-git", "2.0", url=git("https://github.example/org/from-git", revision="v2.0")),
    D("from-dir", "0.5", url=editable("{root}/src/from-dir")),
    D("from-archive", "3.0", url=archive("https://files.index.example/from-archive-3.0.tar.gz")),
)

SPELLINGS_LOCK = pylock(
    ("six", "1.16"), ("a", "1.0.0"), ("b", "1.0"), ("c", "2.0"), ("d", "1.0.post1"), ("e", "1.0rc1")
)
SPELLINGS_DISTS = (
    D("six", "1.16.0"),
    D("a", "1.0"),
    D("b", "v1.0"),
    D("c", "2.0+cpu"),
    D("d", "1.0-1"),
    D("e", "1.0RC1"),
)

DIRECT_URLS = (
    D("pkg-a", "1.0", url=archive("https://files.index.example/packages/pkg_a-1.0-py3-none-any.whl")),
    D("pkg-b", "1.1", url=git("https://github.example/org/pkg-b.git")),
    D("pkg-c", "2.0", url={"url": "file://{root}/wheels/pkg_c-2.0-py3-none-any.whl", "archive_info": {}}),
    D("local-proj", "0.1", url=editable("{root}/localproj")),
    D("pkg-d", "1.2", url=git("https://github.example/org/pkg-d", commit=OTHER_SHA, revision="v1.2")),
)

#: ``--lock pylock.toml`` (relative, from the project folder) once left the bound's local
#: paths relative: validate expected ``src/from-dir`` and called the installed
#: ``/abs/src/from-dir`` a mismatch, while the hook (installed with the lock made
#: absolute) said valid. The ``*-relative-lock`` scenarios keep that case.


# -- the table --------------------------------------------------------------------------------

SCENARIOS = [
    # Pins of every format the hook meets.
    Scenario(
        "requirements-freeze",
        {"requirements.txt": "idna==3.6\nsix==1.16.0\n"},
        (D("idna", "3.6"), D("six", "1.16.0")),
        steps=(
            Step(Touch("requirements.txt"), True),
            *standard(D("six", "1.16.0"), "idna"),
            Step(Touch("requirements.txt"), False),
            Step(Relock("requirements.txt", "six==1.16.0\n"), valid=False),
        ),
    ),
    Scenario(
        "pip-compile-hashes",
        {},
        (
            D("certifi", "2024.2.2"),
            D("charset-normalizer", "3.3.2"),
            D("idna", "3.6"),
            D("requests", "2.31.0", requires=REQUESTS_2_32_3),
            D("urllib3", "2.2.1"),
            D("pysocks", "1.7.1", folder="PySocks-1.7.1.dist-info"),
        ),
        copies={"requirements.txt": DATA / "requirements" / "pip-compile-hashes.txt"},
        steps=standard(D("idna", "3.6"), "urllib3"),
        mode="warn",
        alone=False,
    ),
    Scenario(
        "pylock-sources-relative-lock",
        {},
        PYLOCK_SOURCES,
        lock="pylock.toml",
        copies={"pylock.toml": DATA / "pylock" / "pylock.sources.toml"},
    ),
    Scenario(
        "pylock-sources",
        {},
        PYLOCK_SOURCES,
        lock="pylock.toml",
        absolute=True,
        copies={"pylock.toml": DATA / "pylock" / "pylock.sources.toml"},
        steps=(
            *standard(D("from-index", "1.0"), "from-archive"),
            Step(
                Replace(D("from-git", "2.0", url=git("https://github.example/org/from-git", OTHER_SHA))),
                False,
            ),
            Step(
                Replace(D("from-dir", "0.5", url={"url": "file://{root}/src/from-dir", "dir_info": {}})),
                False,
            ),
        ),
    ),
    Scenario(
        "pylock-extras-groups",
        {},
        (*PYLOCK_SOURCES, D("cli-extra", "1.0"), D("dev-tool", "1.0")),
        lock="pylock.toml",
        absolute=True,
        options=("--extra", "cli", "--group", "dev"),
        copies={"pylock.toml": DATA / "pylock" / "pylock.sources.toml"},
        steps=(Step(Remove("dev-tool"), False), Step(Add(D("windows-only", "1.0")), False)),
        mode="warn",
    ),
    Scenario(
        "uv-lock",
        {"pyproject.toml": UV_PYPROJECT, "uv.lock": UV_LOCK},
        UV_DISTS,
        lock="uv.lock",
        steps=(
            Step(Touch("pyproject.toml"), True),
            *standard(D("idna", "3.6"), "devtool", source=D("app", "0.1.0")),
            Step(
                Replace(D("gitdep", "2.0", url=git("https://github.example/org/gitdep", OTHER_SHA, "v2.0"))),
                False,
            ),
            Step(Relock("uv.lock", UV_LOCK.replace('version = "3.6"', 'version = "0.0.1"'))),
        ),
    ),
    Scenario(
        # The project file edited, the lock not: a stale-lock finding of its own, on both
        # sides, which does not stop a start in exit mode; undone, the lock is current again.
        "uv-lock-stale",
        {"pyproject.toml": UV_PYPROJECT, "uv.lock": UV_LOCK},
        UV_DISTS,
        lock="uv.lock",
        steps=(
            Step(Relock("pyproject.toml", UV_PYPROJECT.replace('"idna>=3"', '"idna>=3.7"')), False),
            Step(Add(D("stray-pkg", "0.1")), False),
            Step(Remove("stray-pkg"), False),
            Step(Relock("pyproject.toml", UV_PYPROJECT), True),
            Step(
                Relock(
                    "pyproject.toml",
                    UV_PYPROJECT.replace("[dependency-groups]", "[dependency-groups]\ndocs = []"),
                ),
                False,
            ),
        ),
    ),
    Scenario(
        "uv-lock-extra-no-default-groups",
        {"pyproject.toml": UV_PYPROJECT, "uv.lock": UV_LOCK},
        (*UV_DISTS[:4], D("click", "8.1.7")),
        lock="uv.lock",
        options=("--extra", "cli", "--no-default-groups"),
        steps=(Step(Add(D("devtool", "1.0.0")), False), Step(Remove("click"), False)),
    ),
    Scenario(
        "poetry-lock",
        {"pyproject.toml": POETRY_PYPROJECT, "poetry.lock": POETRY_LOCK},
        POETRY_DISTS,
        lock="poetry.lock",
        steps=(
            *standard(D("certifi", "2024.8.30"), "devtool"),
            Step(Remove("setuptools"), None),
            Step(Replace(D("poetry-app", "0.1.0", url={"url": "file://{root}", "dir_info": {}})), False),
        ),
        mode="warn",
    ),
    Scenario(
        "pipfile-lock-dev",
        {"Pipfile.lock": PIPFILE_LOCK},
        PIPFILE_DISTS,
        lock="Pipfile.lock",
        options=("--group", "dev"),
        steps=(
            *standard(D("certifi", "2024.8.30"), "devtool"),
            Step(Replace(D("anyver", "0.1")), None),
            Step(
                Replace(D("gitdep", "2.0", url=git("https://github.example/org/gitdep.git", OTHER_SHA))),
                False,
            ),
        ),
    ),
    Scenario(
        # A hand-pinned list whose pins require packages at any version: the hook judges
        # alone until a package whose Requires-Dist it followed is upgraded or reinstalled.
        "hand-pinned-unversioned-requires",
        {"requirements.txt": "a==1.0\n"},
        (D("a", "1.0", requires=("b",)), D("b", "1.0")),
        steps=(
            Step(Add(D("stray-pkg", "0.1")), False),
            Step(Remove("stray-pkg"), True),
            Step(Replace(D("b", "2.0", requires=("d",))), False),  # `pip install -U b`: d is new...
            Step(Add(D("d", "1.0")), True),  # ...and comes with it
            Step(Replace(D("b", "2.1")), False),  # d is required no more
            Step(Remove("d"), True),
            Step(Replace(D("a", "1.0", requires=("b", "c"))), False),  # a reinstalled, same version
            Step(Add(D("c", "1.0")), True),
        ),
    ),
    # Ranges: the hook hands every change to tether.
    Scenario(
        "pyproject-ranges",
        {
            "pyproject.toml": '[project]\nname = "proj"\nversion = "1"\ndependencies = ["six>=1.10", "idna>=3"]\n'
        },
        (D("six", "1.16.0"), D("idna", "3.6")),
        lock="pyproject.toml",
        steps=standard(D("six", "1.16.0"), "idna"),
        alone=False,
    ),
    Scenario(
        "pyproject-extras-groups",
        {
            "pyproject.toml": (
                '[project]\nname = "proj"\nversion = "1"\ndependencies = ["six>=1.10"]\n'
                '[project.optional-dependencies]\ncli = ["click>=8"]\n'
                '[dependency-groups]\ntest = ["pytest-ish>=2", {include-group = "lint"}]\nlint = ["ruff-ish"]\n'
            )
        },
        (
            D("six", "1.16.0"),
            D("click", "8.1.7"),
            D("pytest-ish", "2.1", requires=("pluggy-ish>=1",)),
            D("pluggy-ish", "1.5.0"),
            D("ruff-ish", "0.1"),
            D("proj", "1", url=editable()),
        ),
        lock="pyproject.toml",
        options=("--extra", "cli", "--group", "test"),
        steps=(
            Step(Replace(D("pluggy-ish", "0.9")), False),
            Step(Remove("ruff-ish"), False),
            Step(Remove("proj"), False),
        ),
        mode="warn",
        alone=False,
    ),
    Scenario(
        "requirements-ranges",
        {"requirements.txt": "six>=1.10\nidna~=3.0\n"},
        (D("six", "1.16.0"), D("idna", "3.6")),
        steps=standard(D("six", "1.16.0"), "idna"),
        alone=False,
    ),
    Scenario(
        "requirements-direct-urls-relative-lock",
        {},
        DIRECT_URLS,
        copies={
            "requirements.txt": DATA / "requirements" / "direct-urls.txt",
            "localproj/pyproject.toml": DATA / "requirements" / "localproj" / "pyproject.toml",
        },
    ),
    Scenario(
        "requirements-direct-urls",
        {},
        DIRECT_URLS,
        absolute=True,
        copies={
            "requirements.txt": DATA / "requirements" / "direct-urls.txt",
            "localproj/pyproject.toml": DATA / "requirements" / "localproj" / "pyproject.toml",
        },
        steps=(
            Step(
                Replace(D("local-proj", "0.1", url={"url": "file://{root}/localproj", "dir_info": {}})), False
            ),
            Step(
                Replace(D("pkg-b", "1.1", url=git("https://github.example/org/pkg-b.git", OTHER_SHA))), False
            ),
            Step(
                Replace(D("pkg-a", "1.0", url=archive("https://files.index.example/packages/other.whl"))),
                False,
            ),
            Step(Replace(D("pkg-a", "1.0")), False),
            Step(Remove("pkg-d"), False),
        ),
    ),
    # Options.
    Scenario(
        "superset",
        {"requirements.txt": "six==1.16.0\n"},
        (D("six", "1.16.0"), D("extra-pkg", "1.0")),
        options=("--superset",),
        steps=(Step(Add(D("stray-pkg", "0.1")), True), Step(Remove("six"), False)),
    ),
    Scenario(
        "subset",
        {"requirements.txt": "six==1.16.0\nidna==3.6\n"},
        (D("six", "1.16.0"),),
        options=("--subset",),
        steps=(Step(Replace(D("six", "1.15.0")), False), Step(Add(D("idna", "3.7")), False)),
        mode="warn",
    ),
    Scenario(
        # PEP 503 makes ``Six_`` ``six-``, another name: six is not ignored, by either.
        "ignore-Six_",
        {"requirements.txt": "idna==3.6\n"},
        (D("idna", "3.6"), D("six", "1.16.0")),
        options=("--ignore", "Six_"),
        steps=(Step(Remove("six"), True), Step(Add(D("six", "1.0")), False)),
        valid=False,
    ),
    # Version spellings, judged by PEP 440 key on both sides.
    Scenario(
        "spellings-pylock",
        {"pylock.toml": SPELLINGS_LOCK},
        SPELLINGS_DISTS,
        lock="pylock.toml",
        steps=(
            Step(Replace(D("c", "2.0+cu121")), True),
            Step(Replace(D("b", "1!1.0")), False),
            Step(Replace(D("b", "1.0.0.0")), True),
            Step(Replace(D("d", "1.0")), False),
        ),
    ),
    Scenario(
        "spellings-requirements",
        {"requirements.txt": "six==1.16\na==1.0.0\nb==v1.0\nc==2.0\nd==1.0+local\n"},
        (D("six", "1.16.0"), D("a", "1.0"), D("b", "1.0"), D("c", "2.0+local"), D("d", "1.0+LOCAL")),
        steps=(
            Step(Unrelated(), True),
            Step(Replace(D("d", "1.0+other")), False),
            Step(Replace(D("d", "1.0")), False),
        ),
    ),
    # What is wrong with the installed metadata itself.
    Scenario(
        "invalid-metadata",
        {"requirements.txt": "six==1.16.0\nidna==3.6\nbroken==1.0\n"},
        (
            D("six", "1.16.0"),
            D("idna", "3.6"),
            D("broken", None),
            D("badver", "not a version"),
            D("unreadable", "1.0", raw_url=b"{not json"),
            D("idna", "3.5", folder="idna-3.5.dist-info"),
        ),
        steps=(
            Step(Add(D("six", "1.15.0", folder="~ix-1.15.0.dist-info"))),
            Step(Remove("broken")),
            Step(Replace(D("six", "1.16.0", raw_url=b"[1, 2]"))),
        ),
        alone=False,  # an expected package is invalid: only tether can say what it requires
        valid=False,
    ),
]


# -- running both sides ---------------------------------------------------------------------

Finding = tuple[str, str, str | None, str | None, tuple[str, ...], str]


def findings_of(report: dict[str, Any]) -> list[Finding]:
    return [
        (r["name"], r["status"], r["installed"], r["expected"], tuple(r["sites"]), r["detail"])
        for r in report["records"]
    ]


def validate(env: Env, scenario: Scenario, *extra: str) -> tuple[bool, list[Finding]]:
    proc = tether(
        "validate", "-p", env.python, "--lock", scenario.lock_arg(env), *scenario.options, "--format", "json",
        *extra, cwd=env.root,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    assert report["valid"] is (proc.returncode == 0) is (not report["records"]), proc.stdout
    return report["valid"], findings_of(report)


def load_state(env: Env) -> dict[str, Any]:
    state = marshal.loads((env.site / "_tether_hook" / "state.marshal").read_bytes())
    assert isinstance(state, dict)
    return state


def start(env: Env) -> subprocess.CompletedProcess[str]:
    return run(env.python, "-c", "print('ok')", cwd=env.root, env=clean_env(), check=False)


_LINE = re.compile(r"^  (\S+)  +(.*)$")


def parse_drift(stderr: str) -> list[tuple[str, str, str | None, str | None]]:
    """(name, status, installed, expected) of each drift line of the hook's report, as
    far as the line shows them."""
    parsed: list[tuple[str, str, str | None, str | None]] = []
    for line in stderr.splitlines()[1:]:
        if line.startswith(("  fix: ", "  skip this check once")) or not line.startswith("  "):
            continue
        match = _LINE.match(line)
        assert match, line
        name, text = match.groups()
        if text.startswith("missing (locked ") and text.endswith(")"):
            parsed.append((name, "missing", None, text[len("missing (locked ") : -1]))
        elif text.endswith(" installed, not in the lock"):
            parsed.append((name, "unexpected", text[: -len(" installed, not in the lock")], None))
        elif " installed, locked " in text:
            got, _, want = text.partition(" installed, locked ")
            parsed.append((name, "mismatch", got, want))
        elif text.startswith("invalid: "):
            parsed.append((name, "invalid", None, None))
        elif text.startswith("lock out of date: "):
            parsed.append((name, "stale-lock", None, None))
        elif text.startswith("leftover "):
            parsed.append((name, "leftover", None, None))
        else:
            status, _, _ = text.partition(": ")
            parsed.append((name, status, None, None))
    return parsed


def shown(finding: Finding) -> tuple[str, str, str | None, str | None]:
    """What a drift line shows of a finding (a mismatch's source detail in parentheses)."""
    name, status, installed, expected, _, detail = finding
    if status == "missing":
        return (name, status, None, expected)
    if status == "unexpected":
        return (name, status, installed, None)
    if status == "mismatch":
        suffix = "" if not detail or "does not satisfy" in detail else f" ({detail})"
        return (name, status, installed, f"{expected}{suffix}")
    return (name, status, None, None)


@dataclass
class Observed:
    valid: bool
    findings: list[Finding]
    #: Whether the hook judged this step alone (True) or handed it to tether (False).
    alone: bool


def observe(env: Env, scenario: Scenario, what: str) -> Observed:
    """Both sides on the environment as it is now; fails on any difference."""
    before = load_state(env)
    files = len(before["files"])
    stamps = startup.now(before)
    bound_changed = stamps[:files] != before["stamps"][:files]
    if bound_changed and before.get("digests") == [digest(path) for path in before["files"]]:
        bound_changed = False  # touched, not edited: the hook keeps what it derived
    changed = stamps != before["stamps"]

    proc = start(env)  # the hook sees the change first, as it would in real life
    after = load_state(env)

    valid, findings = validate(env, scenario, "--no-cache")
    assert validate(env, scenario) == (valid, findings), f"{what}: validate with its cache differs"
    assert validate(env, scenario) == (valid, findings), f"{what}: validate's cached result differs"

    # (a) In process: the runtime comparison the hook runs, on the expectation it holds.
    dists, leftovers = scan(before["sites"])
    alone = False
    if before["certain"] and not bound_changed:
        lines = compare(before["expect"], dists, leftovers)
        alone = settled(before["expect"], lines)
        if alone:
            assert lines == findings, f"{what}: the hook's stored expectation judges otherwise"
    if changed and not alone:
        assert after["stamps"] != before["stamps"], f"{what}: the hook should have asked tether"
    assert compare(after["expect"], dists, leftovers, contains=contains) == findings, what
    assert [tuple(line) for line in after["lines"]] == findings, f"{what}: the hook stored another verdict"

    # (b) A real start: the report of exactly those findings, and the exit code.
    if not findings:
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "ok\n", ""), what
    else:
        report = recheck.report(after, findings)
        # A stale lock alone does not stop a start (site-install --stale-lock warn).
        if scenario.mode == "exit" and any(f[1] != "stale-lock" for f in findings):
            report += "tether: not starting (exit mode); fix the environment, or set TETHER_SKIP=1\n"
            assert (proc.returncode, proc.stdout) == (EXIT_CODE, ""), f"{what}: {proc.stderr}"
        else:
            assert (proc.returncode, proc.stdout) == (0, "ok\n"), f"{what}: {proc.stderr}"
        assert proc.stderr == report, what
        assert parse_drift(proc.stderr) == [shown(f) for f in findings], what
    return Observed(valid, findings, alone)


def prepare(tmp_path: Path, make_dist: MakeDist, scenario: Scenario) -> Env:
    root = (tmp_path / "project").resolve()
    root.mkdir()
    for name, text in scenario.files.items():
        (root / name).write_text(text.replace("{root}", str(root)))
    for name, source in scenario.copies.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / name)
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    env = Env(root=root, python=venv / "bin" / "python", site=site_packages(venv), make_dist=make_dist)
    for dist in scenario.dists:
        env.write(dist)
    return env


def install(env: Env, scenario: Scenario) -> None:
    proc = tether(
        "site-install", "-p", env.python, "--lock", scenario.lock_arg(env), *scenario.options,
        "--on-drift", scenario.mode, "--exit-code", str(EXIT_CODE), "--force", cwd=env.root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def walk(env: Env, scenario: Scenario) -> list[tuple[str, Observed]]:
    """Install the hook, then observe the installed state and every drift step."""
    install(env, scenario)
    state = load_state(env)
    assert state["certain"] is scenario.alone, f"{scenario.id}: certain is {state['certain']}"
    seen = [("installed", observe(env, scenario, "installed"))]
    assert seen[0][1].valid is scenario.valid, seen[0][1].findings
    for n, step in enumerate(scenario.steps, start=1):
        step.drift.apply(env)
        what = f"step {n}: {step.drift}"
        observed = observe(env, scenario, what)
        if step.valid is not None:
            assert observed.valid is step.valid, (what, observed.findings)
        seen.append((what, observed))
    return seen


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(s, id=s.id, marks=[pytest.mark.xfail(reason=s.bug, strict=True)] if s.bug else [])
        for s in SCENARIOS
    ],
)
def test_validate_and_hook_agree(tmp_path: Path, make_dist: MakeDist, scenario: Scenario) -> None:
    walk(prepare(tmp_path, make_dist, scenario), scenario)


# -- the historical disagreements, as real starts in exit mode --------------------------------


def test_locked_spelling_and_installed_spelling(tmp_path: Path, make_dist: MakeDist) -> None:
    """(i) ``six==1.16`` locked and ``six 1.16.0`` installed: valid in both, also after an
    unrelated change to site-packages (the hook once compared version strings)."""
    scenario = Scenario(
        "six-1.16",
        {"requirements.txt": "six==1.16\n"},
        (D("six", "1.16.0"),),
        steps=(Step(Unrelated(), True), Step(Add(D("other", "1.0")), False), Step(Remove("other"), True)),
    )
    seen = walk(prepare(tmp_path, make_dist, scenario), scenario)
    assert [observed.valid for _, observed in seen] == [True, True, False, True]
    assert seen[1][1].alone, "the hook judged the unrelated change with its own comparison"


def test_hand_pinned_list_with_installed_dependencies(tmp_path: Path, make_dist: MakeDist) -> None:
    """(ii) A hand-pinned top-level list installed with ``pip install -r``: requests' own
    dependencies are installed with it and allowed through its ``Requires-Dist`` (the hook
    once froze that allowance at install). Valid in both after a change; then with
    ``urllib3`` removed, the hook says what validate says."""
    scenario = Scenario(
        "hand-pinned",
        {"requirements.txt": "six==1.16.0\nrequests==2.32.3\n"},
        (D("six", "1.16.0"), D("requests", "2.32.3", requires=REQUESTS_2_32_3), *REQUESTS_DEPS),
        steps=(
            Step(Replace(D("six", "1.16.0")), True),
            Step(Unrelated(), True),
            Step(Remove("urllib3")),
            Step(Add(D("urllib3", "2.2.3")), True),
            Step(Replace(D("charset-normalizer", "3.3.0")), True),
            Step(Replace(D("idna", "4.0")), False),
        ),
        alone=False,
    )
    seen = walk(prepare(tmp_path, make_dist, scenario), scenario)
    removed = seen[3][1]
    assert removed.findings == [] or {f[0] for f in removed.findings} == {"urllib3"}, removed.findings


def test_ignore_with_names_as_typed(tmp_path: Path, make_dist: MakeDist) -> None:
    """(iii) ``--ignore`` with names not normalised (``SIX``, ``Charset_Normalizer``)
    ignores those packages in both, listed or not (the hook once compared the names as
    typed)."""
    scenario = Scenario(
        "ignore-as-typed",
        {"requirements.txt": "idna==3.6\nsix==1.16.0\n"},
        (D("idna", "3.6"), D("six", "1.0"), D("charset-normalizer", "3.0")),
        options=("--ignore", "SIX", "--ignore", "Charset_Normalizer"),
        steps=(
            Step(Replace(D("six", "2.0", url=editable("/elsewhere/six"))), True),
            Step(Remove("six"), True),
            Step(Replace(D("charset-normalizer", "3.1")), True),
            Step(Replace(D("idna", "3.7")), False),
        ),
    )
    seen = walk(prepare(tmp_path, make_dist, scenario), scenario)
    # six is pinned: its Requires-Dist were followed, so a reinstall of it is tether's to
    # judge; charset-normalizer is not listed, and the hook ignores it by itself.
    assert seen[3][1].alone, "the hook applied the ignore list with its own comparison"
