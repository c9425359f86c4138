"""Find the distributions installed in a target's site directories.

Each ``*.dist-info`` directory and legacy ``*.egg-info`` (directory or file) is read for
its name and version and its PEP 610 ``direct_url.json`` (``packaging.direct_url``).
Problems with what is installed never stop the scan: they are carried on the records.

Name and version are two header lines, read by the same stdlib reader the start-up hook
uses (``packaging.metadata`` would import the ``email`` package, about 15 ms, to get
them). ``Requires-Dist`` is only needed when a bound lists direct dependencies alone;
then the whole file is parsed with ``packaging.metadata.parse_email``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from packaging.direct_url import DirectUrl, DirectUrlValidationError
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tether.hook._startup_recheck import read_headers
from tether.models import CondaRecord, Installed, InstalledDist, Leftover, Source

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["scan", "scan_conda", "source_from_direct_url"]

_SUFFIXES = (".dist-info", ".egg-info")


def source_from_direct_url(direct_url: DirectUrl) -> Source:
    """Translate a PEP 610 record into a :class:`~tether.models.Source`."""
    if direct_url.vcs_info is not None:
        return Source(
            kind="vcs",
            url=direct_url.url,
            vcs=direct_url.vcs_info.vcs,
            revision=direct_url.vcs_info.requested_revision,
            commit=direct_url.vcs_info.commit_id,
            subdirectory=direct_url.subdirectory,
        )
    if direct_url.dir_info is not None:
        from tether.sources._common import path_from_file_url

        return Source(
            kind="directory",
            url=path_from_file_url(direct_url.url),
            editable=bool(direct_url.dir_info.editable),
            subdirectory=direct_url.subdirectory,
        )
    return Source(kind="url", url=direct_url.url, subdirectory=direct_url.subdirectory)


def _name_from_folder(entry: str) -> tuple[str, str]:
    stem = entry.rsplit(".", 1)[0]
    name, _, rest = stem.partition("-")
    return name, rest.split("-", 1)[0]


def _read_dist(site: str, entry: str, *, with_requires: bool) -> InstalledDist:
    path = os.path.join(site, entry)
    folder_name, folder_version = _name_from_folder(entry)
    if os.path.isdir(path):
        meta_file = os.path.join(path, "METADATA" if entry.endswith(".dist-info") else "PKG-INFO")
    else:
        meta_file = path
    problem = None
    raw_name, raw_version, requires_raw = folder_name, folder_version, []
    try:
        if with_requires:
            from packaging.metadata import parse_email

            with open(meta_file, "rb") as f:
                raw, _ = parse_email(f.read())
            raw_name = raw.get("name") or folder_name
            raw_version = raw.get("version") or ""
            requires_raw = raw.get("requires_dist") or []
        else:
            name, raw_version = read_headers(meta_file, strict=True)
            raw_name = name or folder_name
        if not raw_version:
            problem = f"{os.path.basename(meta_file)} has no Version"
    except OSError as e:
        problem = f"cannot read {os.path.basename(meta_file)} ({e.strerror or e})"
    version: Version | None = None
    if raw_version:
        try:
            version = Version(raw_version)
        except InvalidVersion:
            problem = f"invalid version {raw_version!r}"
    source = None
    direct_url_file = os.path.join(path, "direct_url.json")
    if os.path.isfile(direct_url_file):
        import json

        try:
            with open(direct_url_file, encoding="utf-8") as f:
                source = source_from_direct_url(DirectUrl.from_dict(json.load(f)))
        except (OSError, ValueError, DirectUrlValidationError) as e:
            problem = problem or f"unreadable direct_url.json ({e})"
    requires: list[Requirement] = []
    for text in requires_raw if with_requires else ():
        try:
            requires.append(Requirement(text))
        except InvalidRequirement:
            problem = problem or f"invalid Requires-Dist {text!r}"
    return InstalledDist(
        name=canonicalize_name(raw_name),
        version=version,
        raw_version=raw_version,
        path=path,
        site=site,
        source=source,
        requires=tuple(requires),
        problem=problem,
    )


def scan(sites: Iterable[str], *, with_requires: bool = False) -> Installed:
    """Read every distribution in *sites*, in the order given (import order).

    A site directory that does not exist is skipped. Entries are sorted so that output
    is stable across file systems.

    :param with_requires: also read ``Requires-Dist`` (needed only when the bound lists
        direct dependencies alone).
    """
    sites = tuple(sites)
    dists: list[InstalledDist] = []
    leftovers: list[Leftover] = []
    for site in sites:
        try:
            entries = sorted(os.listdir(site))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            # An unreadable site directory: nothing in it can be imported either.
            continue
        for entry in entries:
            if entry.startswith("~"):
                # pip renames what it is removing to "~xxx" and deletes it at the end; a
                # crash leaves it behind (pip warns "Ignoring invalid distribution").
                stem = entry.removesuffix(".dist-info").removesuffix(".egg-info")
                leftovers.append(Leftover(name=stem, path=os.path.join(site, entry), site=site))
            elif entry.endswith(_SUFFIXES):
                dists.append(_read_dist(site, entry, with_requires=with_requires))
    return Installed(sites=sites, dists=tuple(dists), leftovers=tuple(leftovers))


def scan_conda(prefix: str) -> tuple[CondaRecord, ...]:
    """Read a conda environment's ``conda-meta/*.json`` records (none if it has no such folder).

    A record that cannot be read is skipped: conda itself would not know that package.
    """
    meta = os.path.join(prefix, "conda-meta")
    try:
        entries = sorted(e for e in os.listdir(meta) if e.endswith(".json"))
    except OSError:
        return ()
    import json

    records = []
    for entry in entries:
        path = os.path.join(meta, entry)
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            name, version = str(data["name"]), str(data["version"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        owns = {
            os.path.join(prefix, os.path.dirname(f))
            for f in data.get("files", [])
            if isinstance(f, str) and os.path.dirname(f).endswith((".dist-info", ".egg-info"))
        }
        records.append(
            CondaRecord(name=canonicalize_name(name), version=version, path=path, owns=frozenset(owns))
        )
    return tuple(records)
