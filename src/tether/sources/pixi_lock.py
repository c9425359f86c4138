"""``pixi.lock`` (versions 5, 6 and 7): one environment's packages for the target platform.

The environment is ``--environment`` (default ``default``); the platform is the target's
conda subdir (``linux-64``, ``osx-arm64``, ``win-64``, ...), derived from its markers.
Its PyPI packages are expected in site-packages like any lock's (an index wheel is an
index install; ``direct+`` URLs, ``git+`` URLs and local paths are direct references).
Its conda packages are expected in the environment's ``conda-meta/*.json`` records, by
name and version, and the ``.dist-info`` folders those records own are left to that
comparison. Version 5 lists packages with ``kind``/``url``; 6 and 7 key them by
``conda``/``pypi``; 7 adds a top-level ``platforms`` list. Read with PyYAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources._access import YAML, Table
from tether.sources._common import TOO_DEEP, exact, source_from_git_reference
from tether.sources._files import realpath

if TYPE_CHECKING:
    from pathlib import Path

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PixiLockReader", "conda_subdir"]

VERSIONS = (5, 6, 7)
_ARCH = {"x86_64": "64", "amd64": "64", "aarch64": "aarch64", "arm64": "arm64", "ppc64le": "ppc64le",
         "s390x": "s390x", "i686": "32", "x86": "32"}  # fmt: skip


def conda_subdir(markers: dict[str, str]) -> str:
    """The conda platform name of a marker environment (``linux-64``, ``osx-arm64``)."""
    system = {"linux": "linux", "darwin": "osx", "win32": "win"}.get(markers.get("sys_platform", ""), "linux")
    machine = markers.get("platform_machine", "").lower()
    arch = _ARCH.get(machine, machine)
    if system == "osx" and arch == "aarch64":
        arch = "arm64"
    if system != "osx" and arch == "arm64":
        arch = "aarch64"
    return f"{system}-{arch}"


def _conda_name_version(url: str, key: str) -> tuple[str, str]:
    """Name and version from a conda file name, ``{name}-{version}-{build}.conda``."""
    from urllib.parse import unquote, urlsplit

    filename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    for suffix in (".conda", ".tar.bz2"):
        filename = filename.removesuffix(suffix)
    parts = filename.rsplit("-", 2)
    if len(parts) != 3:
        msg = f"conda package {url!r} has no name and its file name is not name-version-build"
        raise DocumentError(msg, key=key)
    return parts[0], parts[1]


def _pypi_source(ref: str, entry: Table, base: Path) -> Source | None:
    if ref.startswith("git+"):
        return source_from_git_reference(ref)
    if ref.startswith("direct+"):
        return Source(kind="url", url=ref.removeprefix("direct+"))
    if "://" in ref:
        return Source(kind="index")
    # A local path: a directory, installed editable or not as pixi.toml says; the lock
    # records that only in later versions, so without it any local install matches.
    path = realpath(base / ref)
    editable = entry.get("editable", bool)
    if editable is not None:
        return Source(kind="directory", url=path, editable=editable)
    return None


def _conda(ref: str, entry: Table | None, key: str, display: str) -> Expectation:
    """A conda package, by its entry's name and version, else by its file name (the
    environment's reference to it is at *key*)."""
    if entry is not None and "name" in entry and "version" in entry:
        name, version = entry.required("name", str), entry.required("version", str)
    else:
        name, version = _conda_name_version(ref, key)
    return Expectation(name=canonicalize_name(name), specifier=exact(version), origin=display)


def _pypi(ref: str, entry: Table, base: Path, display: str) -> Expectation:
    version = entry.get("version", str)
    return Expectation(
        name=canonicalize_name(entry.required("name", str)),
        specifier=exact(version) if version is not None else SpecifierSet(),
        source=_pypi_source(ref, entry, base),
        origin=display,
    )


def _load(text: str) -> Table:
    """Parse the YAML document, which must be a mapping with pixi's top-level keys.

    :raises DocumentError: for invalid YAML, or YAML of another shape.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        if isinstance(e, yaml.reader.ReaderError):  # a character YAML does not allow: no mark
            line = text.count("\n", 0, e.position)
        # str() of the error adds "in <unicode string>, line 3" on lines of their own.
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DocumentError(f"invalid YAML: {problem}", line=line + 1 if line is not None else None) from e
    except RecursionError:
        # PyYAML's pure-Python composer recurses once per nested node (libyaml's stops
        # at its own limit with a YAMLError).
        raise DocumentError(TOO_DEEP) from None
    if not isinstance(document, dict) or "environments" not in document or "packages" not in document:
        raise DocumentError("not a pixi lock file (expected 'version', 'environments' and 'packages')")
    return Table(document, "", YAML)


def _packages_by_ref(data: Table, version: int) -> dict[tuple[str, str], Table]:
    """The lock's package entries by ``(kind, reference)``, the key an environment's
    platform list refers to them by (``url``/``path`` and ``kind`` in version 5, the
    ``conda``/``pypi`` key itself from version 6)."""
    by_ref: dict[tuple[str, str], Table] = {}
    for entry in data.tables("packages"):
        if version == 5:
            kind = entry.get("kind", str)
            ref = entry.get("url", str) or entry.get("path", str)
        else:
            kind = "conda" if "conda" in entry else "pypi"
            ref = entry.get(kind, str)
        if kind is not None and ref is not None:
            by_ref[(kind, ref)] = entry
    return by_ref


class PixiLockReader:
    """``pixi.lock``."""

    format = "pixi.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """The selected environment's packages for the target's platform."""
        data = _load(text)
        version = data.required("version", int)
        if version not in VERSIONS:
            expected = ", ".join(map(str, VERSIONS))
            msg = f"pixi lock version {version!r} is not supported; expected one of {expected}"
            raise data.error(msg, "version")
        environments = data.table("environments")
        env_name = selection.environment
        if env_name not in environments.data:
            have = ", ".join(map(str, environments.data)) or "none"
            raise environments.error(f"no environment {env_name!r} (it has: {have})")
        platform = conda_subdir(target.markers)
        by_platform = environments.table(env_name).table("packages")
        if platform not in by_platform:
            raise by_platform.error(f"environment {env_name!r} has no packages for {platform}")

        by_ref = _packages_by_ref(data, version)
        base = path.parent
        pypi: list[Expectation] = []
        conda: list[Expectation] = []
        for i, item in enumerate(by_platform.array(platform)):
            key = f"{by_platform.key(platform)}[{i}]"
            if not isinstance(item, dict) or len(item) != 1 or next(iter(item)) not in {"conda", "pypi"}:
                raise DocumentError("expected a 'conda' or 'pypi' reference", key=key)
            ((kind, ref),) = item.items()
            if not isinstance(ref, str):
                raise DocumentError(f"expected a string, got {YAML.of(ref)}", key=f"{key}.{kind}")
            listed = by_ref.get((kind, ref))
            if kind == "conda":
                conda.append(_conda(ref, listed, f"{key}.conda", display))
            elif listed is not None:
                pypi.append(_pypi(ref, listed, base, display))
            else:
                raise DocumentError(f"no package entry for {ref!r}", key=key)
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(pypi),
            conda=tuple(conda),
            repair="pixi install --frozen" + ("" if env_name == "default" else f" -e {env_name}"),
            files=(str(path),),
        )
