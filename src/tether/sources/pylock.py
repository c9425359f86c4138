"""PEP 751 ``pylock.toml``, read and selected with ``packaging.pylock``.

``Pylock.select()`` decides what is installed for the target: its markers, its Python
version and its wheel tags, with the extras and dependency groups asked for (the lock's
``default-groups`` otherwise).

Three leniencies, because a user holding such a file expects it to work as it did for the
tool that wrote it: package names that are not normalized (pipenv writes them) are
normalized before validation; ``environments = []`` (also pipenv) is read as "no
restriction", since a lock usable nowhere was not what its author meant; and a package
whose wheels fit none of the target's tags (``pip lock`` records only the locking
machine's wheels) is still expected at its version: tether checks what is installed,
not whether the lock could install it here. The target's own tags still come first, so
the artifact chosen is the installer's wherever it has a choice.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from packaging.pylock import (
    PackageArchive,
    PackageDirectory,
    PackageVcs,
    Pylock,
    PylockSelectError,
    PylockUnsupportedVersionError,
    PylockValidationError,
)
from packaging.specifiers import SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from tether.errors import DocumentError
from tether.models import Bound, Expectation, Source
from tether.sources import _repair
from tether.sources._common import exact, load_toml

if TYPE_CHECKING:
    from packaging.markers import Environment

    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["PylockReader"]


def _lenient(data: dict[str, Any]) -> dict[str, Any]:
    packages = data.get("packages")
    if isinstance(packages, list):
        data["packages"] = [
            {**p, "name": canonicalize_name(p["name"])}
            if isinstance(p, dict) and isinstance(p.get("name"), str)
            else p
            for p in packages
        ]
    if data.get("environments") == []:
        del data["environments"]
    return data


def _local(path: str, base: Path) -> str:
    return os.path.normpath(base / path)


def _source(selected: object, base: Path) -> Source:
    if isinstance(selected, PackageVcs):
        return Source(
            kind="vcs",
            url=selected.url or _local(selected.path or "", base),
            vcs=selected.type,
            revision=selected.requested_revision,
            commit=selected.commit_id,
            subdirectory=selected.subdirectory,
        )
    if isinstance(selected, PackageDirectory):
        return Source(
            kind="directory",
            url=_local(selected.path, base),
            editable=bool(selected.editable),
            subdirectory=selected.subdirectory,
        )
    if isinstance(selected, PackageArchive):
        url = selected.url or Path(_local(selected.path or "", base)).as_uri()
        return Source(kind="url", url=url, subdirectory=selected.subdirectory)
    # A wheel or sdist from the lock's list is installed as from an index: installers
    # write no direct_url.json for it.
    return Source(kind="index")


class PylockReader:
    """``pylock.toml`` and ``pylock.<name>.toml`` (PEP 751)."""

    format = "pylock"

    def read(self, text: str, *, path: Path, display: str, target: Target, selection: Selection) -> Bound:
        """Select the packages the lock installs on *target*."""
        data = _lenient(load_toml(text).data)
        try:
            lock = Pylock.from_dict(data)
        except PylockUnsupportedVersionError as e:
            msg = f"lock-version {data.get('lock-version')!r} is not supported; expected 1.x (PEP 751)"
            raise DocumentError(msg, key="lock-version") from e
        except PylockValidationError as e:
            # packaging words its messages as sentences ("Unexpected type int (expected
            # str)"), and names the key path as its context, as tether's readers do.
            raise DocumentError(e.message[:1].lower() + e.message[1:], key=e.context) from e
        extras = list(lock.extras or ()) if selection.all_extras else list(selection.extras)
        groups: list[str] | None = None
        if selection.only_groups:
            groups = list(selection.only_groups)
        elif selection.groups or selection.no_default_groups or selection.without_groups:
            base = [] if selection.no_default_groups else list(lock.default_groups or ())
            without = {canonicalize_name(g) for g in selection.without_groups}
            groups = [g for g in [*base, *selection.groups] if canonicalize_name(g) not in without]
        base_dir = path.parent
        tags = list(target.tags())
        known = set(tags)
        for package in lock.packages:
            for wheel in package.wheels or ():
                try:
                    extra = parse_wheel_filename(wheel.filename)[-1]
                except InvalidWheelFilename:
                    continue
                tags.extend(t for t in extra if t not in known)
                known.update(extra)
        expectations = []
        try:
            for package, selected in lock.select(
                environment=cast("Environment", target.markers),
                tags=tags,
                extras=extras,
                dependency_groups=groups,
            ):
                expectations.append(
                    Expectation(
                        name=package.name,
                        specifier=exact(str(package.version)) if package.version else SpecifierSet(),
                        source=_source(selected, base_dir),
                        origin=display,
                    )
                )
        except PylockSelectError as e:
            raise DocumentError(f"cannot install it on {target.executable}: {e}") from e
        # uv installs a pylock.toml's default groups unless groups are named; what
        # --no-default-groups leaves (no group at all) it cannot be asked for.
        flags = ["--all-extras"] if selection.all_extras else [f"--extra {shlex.quote(e)}" for e in extras]
        flags += [f"--group {shlex.quote(g)}" for g in groups or ()]
        return Bound(
            path=display,
            format=self.format,
            expectations=tuple(expectations),
            repair=" ".join(["uv pip sync --python", _repair.python(target), *flags, shlex.quote(display)]),
            files=(str(path),),
        )
