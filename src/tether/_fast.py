"""``tether validate`` after an environment change, without reading the bound again.

When a validation's expectation is one the runtime judges alone (pins and sources: see
:func:`tether.runtime.compare.certain`), the CLI remembers, for that exact command line,
the target's site directories, the compiled expectation and how the bound is shown,
stamped with every file the bound was read from and the interpreter's own files, but
not with the site directories. The next run whose result cache misses because the
environment changed is then a scan and a comparison, as in the start-up hook: no
``argparse``, no ``packaging``, no TOML or YAML parser, no interpreter start.

The entry is keyed like the result cache (:func:`tether._cache.key`): the command line,
working directory, the environment variables that choose the target, and tether's own
code; any change of a stamped file (a ``git pull`` of the lock, a new interpreter)
drops it.
"""

from __future__ import annotations

import sys

from tether import _cache

# Not typing.TYPE_CHECKING: this module exists to be cheap to import.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from tether.check import Checked, CheckOptions

    #: ``(format, color, quiet, verbose)``: how a report is shown (see :func:`render`).
    Display = tuple[str, str, int, int]
    from tether.report import Report
    from tether.runtime.state import Options

__all__ = ["options", "remember", "validate"]

_KIND = "fast"
_OPTIONS = "argv"


def remember(argv: Sequence[str], checked: Checked, display: Display, options: CheckOptions) -> None:
    """Keep what :func:`validate` needs to answer *argv* again after an environment change,
    and what *argv* means (:func:`options`)."""
    # Stamped with the configuration they were read with: a new or edited one means more.
    _cache.put(_OPTIONS, _cache.key(argv), list(options.config_stamps), (options.to_dict(), tuple(display)))
    if not checked.certain:
        return
    target = checked.target
    sites = set(target.sites)
    value = {
        "python": target.executable,
        "prefix": target.prefix,
        "sites": list(target.sites),
        "expect": checked.expect,
        "bound": checked.bound.path,
        "bound_format": checked.bound.format,
        "repair": checked.bound.repair,
        "repair_strays": checked.bound.repair_strays,
        "relock": checked.bound.relock,
        "notes": list(checked.bound.notes),
        "display": tuple(display),
        "python_version": target.markers.get("python_full_version", ""),
        "bound_files": list(checked.bound.files),
    }
    stamps = [item for item in checked.stamps if item[0] not in sites]
    _cache.put(_KIND, _cache.key(argv), stamps, value)


def options(argv: Sequence[str]) -> tuple[Options, Display, list[tuple[str, object]]] | None:
    """What *argv* was parsed into, the last time it was (its options and display), and
    the stamps of the configuration read then: a command line means the same as long as
    the key of :func:`tether._cache.key` holds (tether's code included) and the
    configuration did not change, so its next run needs no ``argparse``."""
    entry = _cache.get_entry(_OPTIONS, _cache.key(argv))
    if entry is None:
        return None
    value, stamps = entry
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], dict):
        return (*value, stamps)
    return None


def validate(argv: Sequence[str]) -> tuple[str, str, int] | None:
    """``(stdout, stderr, exit code)`` of ``tether validate`` *argv*, when remembered."""
    entry = _cache.get_entry(_KIND, _cache.key(argv))
    if entry is None or not isinstance(entry[0], dict):
        return None
    value: dict[str, Any] = entry[0]
    stamps = entry[1]
    from tether.report import Report, record_from_finding
    from tether.runtime.compare import compare, repair_command, settled
    from tether.runtime.scan import scan, scan_conda

    sites = value["sites"]
    # Stamped before they are read: a change made while this runs is seen next time.
    site_stamps = _cache.take_stamps(sites)
    dists, leftovers = scan(sites)
    conda = scan_conda(value["prefix"]) if value["expect"].get("conda") else []
    findings = compare(value["expect"], dists, leftovers, conda)
    if not settled(value["expect"], findings):
        return None
    report = Report(
        bound=value["bound"],
        bound_format=value["bound_format"],
        python=value["python"],
        installed=len({d.name for d in dists}),
        records=tuple(record_from_finding(f) for f in findings),
        repair=repair_command(
            value["repair"], value.get("repair_strays", ""), findings, value.get("relock", "")
        ),
        prefix=value["prefix"],
        python_version=value["python_version"],
        bound_files=tuple(value["bound_files"]),
    )
    display = value["display"]
    out = render(report, display)
    err = "" if display[2] else "".join(f"tether: note: {note}\n" for note in value["notes"])
    if display[3]:
        sys.stderr.write(
            f"tether: {report.python} against {report.bound} ({report.bound_format}), the environment "
            f"changed: compared with the expectation remembered for this command line\n"
        )
    code = 0 if report.valid else 1
    _cache.store(argv, stamps + site_stamps, out, err, code)
    return out, err, code


def render(report: Report, display: Display) -> str:
    """*report* as *display* asks: ``(format, color, quiet, verbose)``, the format ``text``,
    ``json`` or ``csv``, the color ``auto``, ``always`` or ``never``. ``-q`` leaves out the
    text report of a valid environment (the exit code says it), ``-qq`` every report."""
    output, color, quiet, _ = display
    if quiet >= 2 or (quiet and output == "text" and report.valid):
        return ""
    if output == "json":
        from tether.formats.json import JsonFormatter

        return JsonFormatter().format(report)
    if output == "csv":
        from tether.formats.csv import CsvFormatter

        return CsvFormatter().format(report)
    if output == "cyclonedx":
        from tether.formats.bom import CycloneDxFormatter

        return CycloneDxFormatter().format(report)
    from tether.formats.text import TextFormatter, use_color

    return TextFormatter(color=use_color(color, sys.stdout)).format(report)
