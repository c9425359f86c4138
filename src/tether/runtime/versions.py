"""PEP 440 version keys: what ``==`` compares, computed without ``packaging``.

The runtime runs where ``packaging`` may not be installed, so it parses versions with
PEP 440's own grammar (the permissive form of its appendix, every spelling a tool may
write: ``v1.0``, ``1.0-1``, ``1.0.post``, ``1.0RC1``, ``1!2.0+ubuntu-1``) and reduces
them to the key ``packaging.version.Version`` compares: epoch, release without trailing
zeros, the normalised pre-release, post-release, dev-release and local label. The tests
check that two versions have equal keys exactly when ``packaging`` calls them equal, and
that :func:`pin_holds` agrees with ``SpecifierSet("==V").contains``.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Tuple, Union

    Local = Tuple[Union[int, str], ...]
    Key = Tuple[
        int, Tuple[int, ...], Optional[Tuple[str, int]], Optional[int], Optional[int], Optional[Local]
    ]

__all__ = ["key", "pin_holds"]

# ``(?a:...)``: letters and digits are ASCII only, as in ``packaging`` (case-insensitive
# Unicode matching would take the long s, the dotless i or the Kelvin sign for ``s``,
# ``i`` and ``k``);
# the surrounding whitespace is any Unicode whitespace, as there.
_PATTERN = r"""
    \s*v?
    (?a:
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
        (?:-(?P<post_n1>[0-9]+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?)?
        (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
        (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    )
    \s*
"""
_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc", "preview": "rc", "rc": "rc"}
_compiled = None


def _digits(text: "str") -> "bool":
    return text.isascii() and text.isdigit()


def _canonical(text: "str") -> "Optional[Key]":
    """The key of a version in its canonical spelling (``N(.N)*[{a|b|rc}N][.postN][.devN]``,
    which installers write), without ``re``: importing and compiling it would be most of
    the cost of reading a small environment. ``None`` for any other spelling, which
    :func:`key` then parses with the full grammar."""
    rest = text
    dev = post = None
    head, sep, number = rest.rpartition(".dev")
    if sep:
        if not _digits(number):
            return None
        rest, dev = head, int(number)
    head, sep, number = rest.rpartition(".post")
    if sep:
        if not _digits(number):
            return None
        rest, post = head, int(number)
    pre = None
    for letter in ("rc", "a", "b"):
        head, sep, number = rest.rpartition(letter)
        if sep:
            if not _digits(number):
                return None
            rest, pre = head, (letter, int(number))
            break
    parts = rest.split(".")
    if not all(_digits(part) for part in parts):
        return None
    release = [int(part) for part in parts]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return (0, tuple(release), pre, post, dev, None)


def key(text: "str") -> "Optional[Key]":
    """The comparison key of a version, or ``None`` when *text* is not a PEP 440 version."""
    global _compiled
    if len(text) < 100:
        found = _canonical(text)
        if found is not None:
            return found
    if _compiled is None:
        import re

        _compiled = re.compile(_PATTERN, re.VERBOSE | re.IGNORECASE)
    match = _compiled.fullmatch(text)
    if match is None:
        return None
    try:
        return _key(match)
    except ValueError:
        # A number longer than int() converts (sys.set_int_max_str_digits): packaging
        # cannot parse it either.
        return None


def _key(match: "Any") -> "Key":
    release = [int(part) for part in match.group("release").split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    pre = None
    if match.group("pre_l"):
        pre = (_PRE[match.group("pre_l").lower()], int(match.group("pre_n") or 0))
    post = None
    if match.group("post_n1"):
        post = int(match.group("post_n1"))
    elif match.group("post_l"):
        post = int(match.group("post_n2") or 0)
    dev = int(match.group("dev_n") or 0) if match.group("dev_l") else None
    local = None
    if match.group("local"):
        parts = match.group("local").lower().replace("-", ".").replace("_", ".").split(".")
        local = tuple(int(p) if p.isdigit() else p for p in parts)
    return (int(match.group("epoch") or 0), tuple(release), pre, post, dev, local)


def pin_holds(pin: "Key", installed: "Key") -> "bool":
    """Whether *installed* satisfies ``==pin`` (a pin without a local label accepts any)."""
    if pin[5] is None:
        return installed[:5] == pin[:5]
    return installed == pin
