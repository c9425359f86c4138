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

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tether.errors import BoundError
from tether.models import Bound, Expectation, Source
from tether.sources._common import exact, source_from_git_reference

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


def _conda_name_version(url: str, display: str) -> tuple[str, str]:
    """Name and version from a conda file name, ``{name}-{version}-{build}.conda``."""
    filename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    for suffix in (".conda", ".tar.bz2"):
        filename = filename.removesuffix(suffix)
    parts = filename.rsplit("-", 2)
    if len(parts) != 3:
        msg = f"conda package {url!r} has no name and its file name is not name-version-build"
        raise BoundError(display, msg)
    return parts[0], parts[1]


def _pypi_source(ref: str, entry: dict[str, Any], base: Path) -> Source | None:
    if ref.startswith("git+"):
        return source_from_git_reference(ref)
    if ref.startswith("direct+"):
        return Source(kind="url", url=ref.removeprefix("direct+"))
    if "://" in ref:
        return Source(kind="index")
    # A local path: a directory, installed editable or not as pixi.toml says; the lock
    # records that only in later versions, so without it any local install matches.
    path = (base / ref).resolve()
    if "editable" in entry:
        return Source(kind="directory", url=str(path), editable=bool(entry["editable"]))
    return None


def _conda(ref: str, entry: dict[str, Any], display: str) -> Expectation:
    if "name" in entry and "version" in entry:
        name, version = str(entry["name"]), str(entry["version"])
    else:
        name, version = _conda_name_version(ref, display)
    return Expectation(name=canonicalize_name(name), specifier=exact(version), origin=display)


def _pypi(ref: str, entry: dict[str, Any], base: Path, display: str) -> Expectation:
    version = entry.get("version")
    return Expectation(
        name=canonicalize_name(str(entry["name"])),
        specifier=exact(str(version)) if version is not None else SpecifierSet(),
        source=_pypi_source(ref, entry, base),
        origin=display,
    )


class PixiLockReader:
    """``pixi.lock``."""

    format = "pixi.lock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """The selected environment's packages for the target's platform."""
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as e:
            line = getattr(getattr(e, "problem_mark", None), "line", None)
            raise BoundError(display, f"invalid YAML: {getattr(e, 'problem', e)}",
                             line=line + 1 if line is not None else None) from e  # fmt: skip
        if not isinstance(data, dict) or "environments" not in data or "packages" not in data:
            raise BoundError(
                display, "not a pixi lock file (expected 'version', 'environments' and 'packages')"
            )
        version = data.get("version")
        if version not in VERSIONS:
            expected = ", ".join(map(str, VERSIONS))
            msg = f"pixi lock version {version!r} is not supported; expected one of {expected}"
            raise BoundError(display, msg, key="version")
        environments = data["environments"]
        env_name = selection.environment
        if not isinstance(environments, dict) or env_name not in environments:
            have = ", ".join(environments) if isinstance(environments, dict) else "none"
            raise BoundError(display, f"no environment {env_name!r} (it has: {have})", key="environments")
        platform = conda_subdir(target.markers)
        refs = (environments[env_name] or {}).get("packages", {}).get(platform)
        if refs is None:
            msg = f"environment {env_name!r} has no packages for {platform}"
            raise BoundError(display, msg, key=f"environments.{env_name}.packages")

        by_ref: dict[tuple[str, str], dict[str, Any]] = {}
        for i, entry in enumerate(data["packages"] or []):
            if not isinstance(entry, dict):
                raise BoundError(display, "expected a mapping", key=f"packages[{i}]")
            if version == 5:
                kind = str(entry.get("kind"))
                ref = str(entry.get("url") or entry.get("path"))
            else:
                kind = "conda" if "conda" in entry else "pypi"
                ref = str(entry.get(kind))
            by_ref[(kind, ref)] = entry

        base = path.parent
        pypi: list[Expectation] = []
        conda: list[Expectation] = []
        for i, item in enumerate(refs):
            key = f"environments.{env_name}.packages.{platform}[{i}]"
            if not isinstance(item, dict) or len(item) != 1:
                raise BoundError(display, "expected a 'conda' or 'pypi' reference", key=key)
            ((kind, ref),) = item.items()
            entry = by_ref.get((kind, str(ref)), {})
            if kind == "conda":
                conda.append(_conda(str(ref), entry, display))
            elif "name" in entry:
                pypi.append(_pypi(str(ref), entry, base, display))
            else:
                raise BoundError(display, f"no package entry for {ref!r}", key=key)
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(pypi),
            conda=tuple(conda),
            follow="none",
            repair="pixi install --frozen" + ("" if env_name == "default" else f" -e {env_name}"),
            files=(str(path),),
        )
