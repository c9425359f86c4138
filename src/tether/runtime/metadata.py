"""What an installed distribution says of itself: core metadata headers, and where it
came from (PEP 610 ``direct_url.json``), as comparable *source keys*.

A source key is a tuple, so that it can be stored with ``marshal`` in the hook's state:

- ``()``: an index install (no ``direct_url.json``);
- ``("url", URL)``: an archive;
- ``("dir", PATH, editable)``: a local directory;
- ``("vcs", VCS, URL, COMMIT_OR_REVISION)`` as a bound expects it, and
  ``("vcs", VCS, URL, COMMIT, REQUESTED_REVISION)`` as an installation records it;
- ``("unreadable", WHY)``: a ``direct_url.json`` that is not PEP 610.

URLs are reduced by :func:`normalize_url` on both sides. ``packaging.direct_url`` is the
reference reader; this one (stdlib only, for the runtime) is checked against it in the
tests: it accepts what ``packaging`` accepts and reads the same fields.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO, Dict, Iterator, List, Optional, Tuple

__all__ = ["describe", "mismatch", "normalize_url", "read_headers", "read_source"]

#: At most this much of a metadata file is read for its headers (a hostile file could be
#: one endless header block, or one endless line).
_MAX_HEADER_BYTES = 1 << 20


def open_regular(path: "str") -> "BinaryIO":
    """*path* opened for reading if it is a regular file; what was installed by someone
    else could be a FIFO (an open would wait forever) or a device.

    :raises OSError: when it cannot be opened, or is not a regular file.
    """
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(22, "not a regular file", path)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _header_lines(path: "str") -> "Iterator[str]":
    """The header lines of a core metadata file, up to the blank line that ends them (and
    within :data:`_MAX_HEADER_BYTES`).

    :raises OSError: when the file cannot be read.
    """
    left = _MAX_HEADER_BYTES
    with open_regular(path) as f:
        while left > 0:
            raw = f.readline(min(left, 65536))
            if not raw:
                return
            left -= len(raw)
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                return
            yield line


def read_headers(path: "str") -> "Tuple[str, str]":
    """The ``Name`` and ``Version`` of a core metadata file, reading its headers only.

    :raises OSError: when the file cannot be read.
    """
    name = version = ""
    for line in _header_lines(path):
        field, _, value = line.partition(":")
        field = field.lower()
        if field == "name" and not name:
            name = value.strip()
        elif field == "version" and not version:
            version = value.strip()
        if name and version:
            break
    return name, version


def read_requires_dist(path: "str") -> "List[str]":
    """The ``Requires-Dist`` values of a core metadata file (folded lines joined).

    Read with the header reader above rather than the ``email`` package, which costs more
    to import than the whole of a ``tether validate`` on a small environment.

    :raises OSError: when the file cannot be read.
    """
    values = []  # type: List[str]
    current = None  # type: Optional[str]
    for line in _header_lines(path):
        if line[0] in " \t":
            if current is not None:
                current += " " + line.strip()
            continue
        if current is not None:
            values.append(current)
            current = None
        field, _, value = line.partition(":")
        if field.lower() == "requires-dist":
            current = value.strip()
    if current is not None:
        values.append(current)
    return values


def normalize_url(url: "str") -> "str":
    """Reduce a URL to what identifies an artifact or a repository.

    A ``vcs+`` prefix, credentials, a fragment, a trailing slash or ``.git`` and the case
    of scheme and host do not change what is installed.
    """
    head, sep, rest = url.partition("://")
    if not sep:
        return url.rstrip("/")
    scheme = head.split("+", 1)[-1].lower()
    rest = rest.split("#", 1)[0]
    netloc, slash, path = rest.partition("/")
    netloc = netloc.rsplit("@", 1)[-1].lower()
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[:-4]
    return scheme + "://" + netloc + slash + path


def _local_path(url: "str") -> "str":
    import os
    from urllib.parse import unquote, urlsplit

    return os.path.normpath(unquote(urlsplit(url).path))


def _text(data: "Dict[str, object]", field: "str", required: "bool" = False) -> "Optional[str]":
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError("{!r} must be a string".format(field))
    return value


def source_from_dict(data: "object") -> "Tuple[object, ...]":
    """The installed source key of a parsed ``direct_url.json`` (PEP 610).

    :raises ValueError: when *data* is not a PEP 610 object.
    """
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    url = _text(data, "url", required=True) or ""
    # A key whose value is null is absent (as packaging.direct_url reads it).
    kinds = [k for k in ("vcs_info", "archive_info", "dir_info") if data.get(k) is not None]
    if len(kinds) != 1:
        raise ValueError("exactly one of vcs_info, archive_info, dir_info is required")
    info = data[kinds[0]]
    if not isinstance(info, dict):
        raise ValueError("{!r} must be an object".format(kinds[0]))
    _text(data, "subdirectory")
    if kinds[0] == "vcs_info":
        vcs = _text(info, "vcs", required=True)
        commit = _text(info, "commit_id", required=True)
        revision = _text(info, "requested_revision") or ""
        return ("vcs", vcs, normalize_url(url), commit, revision)
    if kinds[0] == "dir_info":
        editable = info.get("editable")
        if editable is None:
            editable = False
        elif not isinstance(editable, bool):
            raise ValueError("'editable' must be a boolean")
        from urllib.parse import urlsplit

        parts = urlsplit(url)  # ValueError for a malformed URL (a bad IPv6 host)
        if parts.scheme != "file" or not parts.path.startswith("/"):
            raise ValueError("a directory URL must be an absolute file:// URL")
        return ("dir", _local_path(url), editable)
    return ("url", normalize_url(url))


def read_source(dist_path: "str") -> "Tuple[object, ...]":
    """The source key of the distribution whose metadata directory is *dist_path*."""
    import os

    path = os.path.join(dist_path, "direct_url.json")
    try:
        with open_regular(path) as f:
            data = f.read(1 << 20)
    except (FileNotFoundError, NotADirectoryError):
        return ()
    except OSError as e:
        return ("unreadable", "cannot read direct_url.json ({})".format(e.strerror or e))
    import json

    try:
        return source_from_dict(json.loads(data.decode("utf-8")))
    except (ValueError, RecursionError, OSError) as e:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors.
        return ("unreadable", "unreadable direct_url.json ({})".format(e))


def describe(source: "Tuple[object, ...]") -> "str":
    """A source key in a short human form: ``index``, ``git+URL@commit``, ``/path (editable)``."""
    if not source:
        return "index"
    kind = source[0]
    if kind == "vcs":
        revision = source[3] or (source[4] if len(source) > 4 else "")
        return "{}+{}".format(source[1], source[2]) + ("@{}".format(revision) if revision else "")
    if kind == "dir":
        return str(source[1]) + (" (editable)" if source[2] else "")
    return str(source[1])


def mismatch(expected: "Tuple[object, ...]", installed: "Tuple[object, ...]") -> "Optional[str]":
    """Why an *installed* source fails an *expected* one, or ``None`` if it does not.

    A VCS revision is satisfied by the installed commit (or a prefix of it) or by the
    revision that was asked for at install time.
    """
    if expected and installed and expected[0] == "vcs" and installed[0] == "vcs":
        if expected[1:3] == installed[1:3]:
            revision = str(expected[3])
            if revision == "" or revision in installed[3:5] or str(installed[3]).startswith(revision):
                return None
            if len(installed) > 4 and installed[4] and revision != installed[3]:
                return "installed revision {} ({}), expected {}".format(installed[4], installed[3], revision)
            return "installed commit {}, expected {}".format(installed[3], revision)
    elif tuple(expected) == tuple(installed):
        return None
    if (
        expected
        and installed
        and expected[0] == "dir"
        and installed[0] == "dir"
        and expected[1] == installed[1]
    ):
        return "installed {} from {}".format("editable" if installed[2] else "non-editable", installed[1])
    return "installed from {}, expected {}".format(describe(installed), describe(expected))
