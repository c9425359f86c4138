"""The one comparison of what is installed with what a bound expects.

``tether validate`` and the start-up check both call :func:`compare`, with the same
*expectation*: what tether compiled from the bound for one interpreter (see
``tether.validate.compile_expectation``). It is plain data, so that the hook can keep it
in its ``marshal`` state::

    {
        "expected": {name: (check, display, source)},
        "allowed": [name, ...],   # may be present without being expected
        "ignored": [name, ...],   # neither checked nor reported
        "superset": bool,         # anything not expected may be present
        "subset": bool,           # what is expected may be absent
        "conda": {name: (check, display)},   # pixi: conda-meta records
        "follows": bool,          # what the bound names pulled in through Requires-Dist
        "followed": {path: stamp},  # the metadata directories whose Requires-Dist were read
        "stale": (lock, reason),  # the lock no longer matches its project file (absent: it does)
    }

A *check* is ``None`` (any version), ``("==", TEXT, KEY)`` (a pin, compared by PEP 440
key here) or ``("spec", TEXT)`` (a range, which only ``packaging`` can judge: the caller
passes *contains*; the hook, which has no ``packaging``, hands such bounds to tether).
*display* is the expected version as reports show it; *source* is a source key from
:mod:`.metadata`, or ``None`` for any source.

A finding is ``(name, status, installed, expected, sites, detail)``.

*follows* marks an expectation widened by the installed ``Requires-Dist`` of what the
bound names (a requirements file, whose pins ``pip install -r`` completes with their
dependencies). It holds for any environment in which those packages are installed as
they were, since their metadata is then what it was when the expectation was compiled;
when one of them is missing, at another version or source, or was reinstalled or
upgraded at all (its metadata directory in *followed* was replaced: a dependency
expected at any version may now require something else), only tether can say what the
installed one requires: :func:`settled` is false and the caller must hand over.
"""

from .metadata import mismatch
from .versions import key as version_key
from .versions import pin_holds

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

    from .scan import CondaPackage, Dist, Leftover

    Finding = Tuple[str, str, Optional[str], Optional[str], Tuple[str, ...], str]
    Contains = Callable[[str, str], bool]

__all__ = ["STATUSES", "certain", "compare", "repair_command", "settled", "stops"]

#: Every status a finding can have, in the order reports list them.
STATUSES = ("missing", "mismatch", "unexpected", "duplicate", "shadowed", "invalid", "leftover", "stale-lock")


#: The characters ``shlex.quote`` leaves unquoted (``[\w@%+=:,./-]``, ASCII).
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def _quote(text: "str") -> "str":
    """*text* as one shell word, exactly as ``shlex.quote`` gives it (without importing
    ``shlex`` and the ``re`` it pulls in, at a start that drifted)."""
    if text and all(c in _SAFE for c in text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def stops(statuses: "Iterable[str]", stale_lock: "str") -> "bool":
    """Whether findings of these *statuses* stop a start in exit mode: any drift does; a
    stale lock alone leaves the environment what the lock says, and stops only when the
    check was installed with ``--stale-lock exit``. The hook and ``site-install``'s guard
    both ask this."""
    return any(status != "stale-lock" or stale_lock == "exit" for status in statuses)


def repair_command(repair: "str", strays: "str", findings: "Sequence[Finding]", relock: "str" = "") -> "str":
    """The command that repairs what *findings* found, as ``tether validate`` and the
    start-up check print it.

    *repair* installs what the bound names (a bound's ``repair``); *strays* removes what
    it does not name, where *repair* leaves that installed (``pipenv clean``, or ``pip
    uninstall -y {names}``, ``{names}`` standing for the unexpected packages,
    shell-quoted). *strays* is added only for ``unexpected`` findings, and alone when
    they are all there is. A ``stale-lock`` finding puts the tool's re-lock (*relock*:
    ``uv lock``) first, followed by the sync of the new lock, which the environment must
    then match: ``uv lock && uv sync``.
    """
    if relock and any(f[1] == "stale-lock" for f in findings):
        rest = [f for f in findings if f[1] != "stale-lock"]
        return "{} && {}".format(relock, repair_command(repair, strays, rest) or repair)
    names = list(dict.fromkeys(f[0] for f in findings if f[1] == "unexpected"))
    if not strays or not names:
        return repair
    remove = strays.replace("{names}", " ".join(_quote(name) for name in names))
    if not repair or all(f[1] == "unexpected" for f in findings):
        return remove
    return "{} && {}".format(repair, remove)


def certain(expect: "Dict[str, Any]") -> "bool":
    """Whether :func:`compare` can judge *expect* without ``packaging`` (no ranges)."""
    for entries in (expect["expected"], expect.get("conda") or {}):
        for entry in entries.values():
            if entry[0] is not None and entry[0][0] != "==":
                return False
    return True


def settled(expect: "Dict[str, Any]", findings: "Sequence[Finding]") -> "bool":
    """Whether *findings* are the whole answer for *expect* (see *follows* above)."""
    if not expect.get("follows"):
        return True
    from .scan import stamp

    for path, was in (expect.get("followed") or {}).items():
        if stamp(path) != was:
            return False
    expected = expect["expected"]
    return not any(f[0] in expected and f[1] in ("missing", "mismatch", "invalid") for f in findings)


def _version_fails(check: "Any", version: "str", contains: "Optional[Contains]") -> "Optional[str]":
    """Why *version* fails *check*, or ``None``."""
    if check is None:
        return None
    if check[0] == "==":
        got = version_key(version)
        if got is not None and pin_holds(check[2], got):
            return None
    elif contains is None:
        raise ValueError("a range needs a judge: " + check[1])
    elif contains(check[1], version):
        return None
    return "{} does not satisfy {}".format(version, check[1])


def _installed(dists: "Sequence[Dist]") -> "Tuple[Dict[str, Dist], List[Finding]]":
    """The distribution imported for each name (the first on the path), and what is
    wrong with the installed set itself: duplicates, shadowing, broken metadata."""
    by_name = {}  # type: Dict[str, List[Dist]]
    for dist in dists:
        by_name.setdefault(dist.name, []).append(dist)
    winners = {}  # type: Dict[str, Dist]
    findings = []  # type: List[Finding]
    for name, found in by_name.items():
        first = winners[name] = found[0]
        if len(found) > 1:
            sites = tuple(d.site for d in found)
            status = "duplicate" if len(set(sites)) < len(sites) else "shadowed"
            detail = ", ".join("{} in {}".format(d.version or "?", d.path) for d in found)
            findings.append((name, status, first.version or None, None, sites, detail))
        findings.extend(
            (name, "invalid", d.version or None, None, (d.site,), "{}: {}".format(d.path, d.problem))
            for d in found
            if d.problem is not None
        )
    return winners, findings


def _conda(
    expect: "Dict[str, Any]", conda: "Sequence[CondaPackage]", contains: "Optional[Contains]"
) -> "List[Finding]":
    wanted = expect.get("conda") or {}
    ignored = set(expect["ignored"])
    have = {record.name: record for record in conda}
    findings = []  # type: List[Finding]
    for name, (check, display) in wanted.items():
        if name in ignored:
            continue
        record = have.get(name)
        if record is None:
            if not expect["subset"]:
                findings.append((name, "missing", None, display, (), "conda package"))
        elif _version_fails(check, record.version, contains):
            findings.append((name, "mismatch", record.version, display, (record.path,), "conda package"))
    if not expect["superset"]:
        findings.extend(
            (r.name, "unexpected", r.version, None, (r.path,), "conda package")
            for r in conda
            if r.name not in wanted and r.name not in ignored
        )
    return findings


def _expected(
    expect: "Dict[str, Any]", winners: "Dict[str, Dist]", contains: "Optional[Contains]"
) -> "List[Finding]":
    """The packages *expect* names that are missing or not as expected among *winners*
    (the distribution that imports, by name)."""
    findings = []  # type: List[Finding]
    ignored = set(expect["ignored"])
    for name, (check, display, source) in expect["expected"].items():
        if name in ignored:
            continue
        dist = winners.get(name)
        if dist is None:
            if not expect["subset"]:
                findings.append((name, "missing", None, display, (), ""))
            continue
        if dist.key is None:
            continue  # reported as invalid
        detail = _version_fails(check, dist.version, contains)
        if detail is None and source is not None and dist.source[:1] != ("unreadable",):
            detail = mismatch(source, dist.source)
        if detail is not None:
            findings.append((name, "mismatch", dist.version, display, (dist.site,), detail))
    return findings


def compare(
    expect: "Dict[str, Any]",
    dists: "Sequence[Dist]",
    leftovers: "Sequence[Leftover]" = (),
    conda: "Sequence[CondaPackage]" = (),
    contains: "Optional[Contains]" = None,
) -> "List[Finding]":
    """Every way the installed *dists* (in import order) differ from *expect*, sorted by
    status then name; an empty list means valid.

    :param conda: the environment's conda records, for an expectation with conda packages;
        the metadata directories they own are left to that comparison.
    :param contains: ``contains(specifier, version)`` for ranges; required when
        :func:`certain` is false.
    :raises ValueError: for a range without *contains*.
    """
    if conda:
        owned = {path for record in conda for path in record.owns}
        dists = [d for d in dists if d.path not in owned]
    winners, findings = _installed(dists)
    ignored = set(expect["ignored"])
    expected = expect["expected"]
    findings.extend(_expected(expect, winners, contains))
    if not expect["superset"]:
        allowed = set(expect["allowed"])
        findings.extend(
            (name, "unexpected", dist.version or None, None, (dist.site,), "")
            for name, dist in winners.items()
            if name not in expected and name not in allowed and name not in ignored
        )
    findings.extend(
        (
            left.name,
            "leftover",
            None,
            None,
            (left.site,),
            "{}: left behind by an interrupted install; remove it".format(left.path),
        )
        for left in leftovers
    )
    findings.extend(_conda(expect, conda, contains))
    stale = expect.get("stale")
    if stale:
        # The environment is judged against the lock as it is; that the lock itself no
        # longer matches the project is a finding of its own.
        findings.append((stale[0], "stale-lock", None, None, (), stale[1]))
    order = {status: i for i, status in enumerate(STATUSES)}
    findings.sort(key=lambda f: (order[f[1]], f[0]))
    return findings
