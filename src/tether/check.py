"""One validation from start to end: find the target, read the bound, scan, compare."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tether.models import Bound, Installed
    from tether.report import Record, Report
    from tether.runtime.state import Options
    from tether.sources.interface import Selection
    from tether.target import Target

__all__ = ["CheckOptions", "Checked", "check"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckOptions:
    """Everything a check depends on besides the file system."""

    python: str | None = None
    lock: str | None = None
    selection: Selection | None = None
    superset: bool = False
    subset: bool = False
    ignore: frozenset[str] = frozenset()
    #: Do not check that the lock still matches its project file (uv's ``--frozen``).
    frozen: bool = False
    #: Reuse what the target interpreter said of itself (see :mod:`tether._cache`).
    use_cache: bool = True
    #: Seconds allowed for each network or git operation of a remote bound.
    timeout: float = 30.0
    #: Stamps of the configuration files and the candidates looked for and not found
    #: (:attr:`tether.config.Config.stamps`): what the options above were partly read from.
    config_stamps: tuple[tuple[str, object], ...] = field(default=(), compare=False, repr=False)
    #: Also check every installed file against its RECORD (``validate --verify-files``:
    #: :mod:`tether.integrity.verify`). A validate command line with it is never cached;
    #: a start-up check installed with it hands each change of the environment to tether.
    verify_files: bool = False

    def to_dict(self) -> Options:
        """These options as plain data (``marshal``-able), for :meth:`from_dict`: the
        start-up check's state and the remembered command lines of :mod:`tether._fast`."""
        from tether.sources.interface import Selection

        selection = self.selection or Selection()
        return {
            "python": self.python,
            "lock": self.lock,
            "extras": list(selection.extras),
            "all_extras": selection.all_extras,
            "groups": list(selection.groups),
            "only_groups": list(selection.only_groups),
            "without_groups": list(selection.without_groups),
            "no_default_groups": selection.no_default_groups,
            "environment": selection.environment,
            "all_packages": selection.all_packages,
            "superset": self.superset,
            "subset": self.subset,
            "ignore": sorted(self.ignore),
            "timeout": self.timeout,
            "verify_files": self.verify_files,
            "frozen": self.frozen,
        }

    @classmethod
    def from_dict(
        cls, stored: Options, /, *, config_stamps: Iterable[tuple[str, object]] = ()
    ) -> CheckOptions:
        """The options :meth:`to_dict` gave (which leaves out :attr:`config_stamps`)."""
        from tether.sources.interface import Selection

        selection = Selection(
            extras=tuple(stored["extras"]),
            all_extras=stored["all_extras"],
            groups=tuple(stored["groups"]),
            only_groups=tuple(stored["only_groups"]),
            without_groups=tuple(stored["without_groups"]),
            no_default_groups=stored["no_default_groups"],
            environment=stored["environment"],
            all_packages=stored["all_packages"],
        )
        return cls(
            python=stored["python"],
            lock=stored["lock"],
            selection=selection,
            superset=stored["superset"],
            subset=stored["subset"],
            ignore=frozenset(stored["ignore"]),
            timeout=stored["timeout"],
            # Absent from what an older tether remembered or stored.
            frozen=stored.get("frozen", False),
            config_stamps=tuple(config_stamps),
            # Absent from what an older tether stored.
            verify_files=bool(stored.get("verify_files", False)),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Checked:
    """The inputs and outcome of one check, for callers that need more than the report."""

    target: Target
    bound: Bound
    #: The expectation the records were judged against (:mod:`tether.runtime.compare`).
    expect: dict[str, Any]
    #: Whether the runtime can judge :attr:`expect` alone after an environment change
    #: (:func:`tether.runtime.compare.certain`, and the pins it follows hold).
    certain: bool
    installed: Installed
    report: Report
    #: Stamps of everything the result depends on, for :mod:`tether._cache`.
    stamps: list[tuple[str, object]] = field(default_factory=list)


def check(options: CheckOptions) -> Checked:
    """Validate the target's environment against its bound.

    :raises TetherError: when the target or the bound cannot be read.
    """
    from tether import _cache
    from tether.report import Report
    from tether.runtime.compare import certain, repair_command, settled
    from tether.target import begin_query

    pending = begin_query(options.python, use_cache=options.use_cache)
    # While the target interpreter answers (when it is not cached), import what reading the
    # bound needs: on a cold run the two take about as long as each other.
    _preload(options.lock)
    target = pending.result()
    # Stamped before they are read: a change made while this runs is seen next time.
    env_stamps = _cache.take_stamps(
        [*target.sites, target.executable, os.path.join(target.prefix, "pyvenv.cfg")]
    )
    bound, expect, installed, records, bound_stamps = _read_and_judge(options, target)
    findings = [_finding(r) for r in records]
    repair = repair_command(bound.repair, bound.repair_strays, findings, bound.relock)
    if options.verify_files:
        records, repair = _with_files(target, installed, records, repair, ignored=expect["ignored"])
    report = Report(
        bound=bound.path,
        bound_format=bound.format,
        python=target.executable,
        installed=len({d.name for d in installed.dists}),
        records=records,
        repair=repair,
        inventory=installed,
        prefix=target.prefix,
        python_version=target.markers.get("python_full_version", ""),
        bound_files=tuple(bound.files),
        files_verified=options.verify_files,
    )
    return Checked(
        target=target,
        bound=bound,
        expect=expect,
        # Files are verified by tether, never by the runtime: a hook installed with
        # --verify-files hands every change of the environment to `tether site-refresh`.
        certain=certain(expect) and settled(expect, findings) and not options.verify_files,
        installed=installed,
        report=report,
        stamps=env_stamps + bound_stamps,
    )


def _preload(lock: str | None) -> None:
    """Import the bound's reader and ``packaging`` (best effort: reading reports errors)."""
    from pathlib import Path

    from tether.errors import TetherError
    from tether.sources import detect, format_of
    from tether.sources.remote import is_remote

    if lock is not None and is_remote(lock):
        return
    try:
        path = Path(lock) if lock is not None else detect(Path.cwd())
        if path.is_dir():
            path = detect(path)
        format_of(path.name).load()
    except (TetherError, OSError):
        return
    import packaging.requirements  # noqa: F401 - every reader needs markers and specifiers


def _read_and_judge(
    options: CheckOptions, target: Target
) -> tuple[Bound, dict[str, Any], Installed, tuple[Record, ...], list[tuple[str, object]]]:
    from tether import _cache
    from tether.installed import scan
    from tether.sources import is_volatile, load_bound
    from tether.sources.remote import is_remote

    bound = load_bound(options.lock, target, options.selection, timeout=options.timeout)
    # Stamps of the bound after reading it are taken from the files it names; a change
    # during the read is caught by the size and ctime parts of the next stamp. The
    # directories auto-detection looked in are stamped without digests: a file created
    # there may be the bound next time.
    bound_stamps = _cache.take_stamps(bound.files, digests=True) + _cache.take_stamps(bound.searched)
    # The ${VAR} values it read, and a pipe (--lock /dev/stdin), which holds another bound
    # at each run: never answered from the cache.
    bound_stamps += _cache.environ_stamps(bound.environ)
    # The configuration the options were read with (taken before it was read).
    bound_stamps += list(options.config_stamps)
    if options.lock is not None and not is_remote(options.lock) and is_volatile(options.lock):
        bound_stamps.append(_cache.VOLATILE)
    installed = scan(target.sites, with_requires=bound.follows)
    if bound.conda:
        from dataclasses import replace

        from tether.installed import scan_conda

        installed = replace(installed, conda=scan_conda(target.prefix))
    from tether.validate import expectation_for, judge

    expect = expectation_for(
        bound,
        installed,
        environment=target.markers,
        superset=options.superset,
        subset=options.subset,
        ignore=options.ignore,
        frozen=options.frozen,
    )
    return bound, expect, installed, judge(expect, installed), bound_stamps


def _with_files(
    target: Target, installed: Installed, records: tuple[Record, ...], repair: str, *, ignored: Iterable[str]
) -> tuple[tuple[Record, ...], str]:
    """*records* and *repair* with what :func:`tether.integrity.verify.verify_dists` finds
    in the installed files: one record per file, its status one of
    :data:`tether.integrity.verify.FILE_STATUSES`, its detail the file's path relative to
    its site directory and what differs; the repair then also reinstalls the
    distributions with modified or missing files. The findings of an *ignored* package
    (``--ignore``: neither checked nor reported) are left out; its files are still read,
    so that they are not reported as unrecorded in a directory it shares with another."""
    from tether.integrity.render import repair_files
    from tether.integrity.verify import verify_dists
    from tether.report import Record

    verified = verify_dists(installed.dists, target)
    left_out = set(ignored)
    findings = [f for f in verified.findings if f.name not in left_out]
    files = tuple(
        Record(
            name=f.name,
            status=f.status,
            installed=f.version or None,
            expected=None,
            sites=(f.site,),
            detail=f"{os.path.relpath(f.path, f.site)}: {f.detail}",
        )
        for f in findings
    )
    has_pip = any(d.name == "pip" for d in installed.dists)
    fixes = repair_files(findings, target.executable, has_pip=has_pip)
    return records + files, " && ".join(r for r in (repair if records else "", fixes) if r)


def _finding(record: Record) -> tuple[str, str, str | None, str | None, tuple[str, ...], str]:
    return (record.name, record.status, record.installed, record.expected, record.sites, record.detail)
