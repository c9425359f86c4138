"""Find the target interpreter and learn its site directories and marker environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether.errors import TargetError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from packaging.tags import Tag

__all__ = ["Target", "find_interpreter", "query_target"]

_QUERY_SOURCE = Path(__file__).with_name("_query.py")


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """The interpreter whose environment is checked, as it reported itself.

    Build it with :func:`query_target`; nothing here is cached between runs.
    """

    executable: str
    #: The environment's prefix: the venv directory, or ``sys.prefix``.
    prefix: str
    venv: bool
    #: Site directories in import order (existing or not).
    sites: tuple[str, ...]
    user_site: str | None
    #: Where packages (and tether's start-up hook) are installed.
    purelib: str
    #: The PEP 508 marker environment (``packaging.markers.Environment``'s keys).
    markers: dict[str, str]
    version: tuple[int, int, int]
    implementation: str
    soabi: str
    abiflags: str
    gil_disabled: bool

    @classmethod
    def from_query(cls, data: Mapping[str, Any], /) -> Target:
        """Build a target from :mod:`tether._query`'s output."""
        major, minor, micro = (int(v) for v in data["version"])
        return cls(
            executable=str(data["executable"]),
            prefix=str(data["prefix"]),
            venv=bool(data["venv"]),
            sites=tuple(str(s) for s in data["sites"]),
            user_site=data["user_site"],
            purelib=str(data["purelib"]),
            markers={str(k): str(v) for k, v in data["markers"].items()},
            version=(major, minor, micro),
            implementation=str(data["implementation"]),
            soabi=str(data["soabi"]),
            abiflags=str(data["abiflags"]),
            gil_disabled=bool(data["gil_disabled"]),
        )

    def marker_env(self, extra: str = "") -> dict[str, str]:
        """The marker environment as ``Marker.evaluate()`` takes it, with ``extra`` set."""
        return {**self.markers, "extra": extra}

    def tags(self) -> Iterator[Tag]:
        """The wheel tags this interpreter accepts, most specific first.

        Computed here from what the target reported, as ``packaging.tags.sys_tags()``
        would compute them inside it (the platform tags are this machine's).
        """
        from packaging import tags

        platforms = list(tags.platform_tags())
        py = self.version[:2]
        if self.implementation == "cpython":
            abi = f"cp{py[0]}{py[1]}" + ("t" if self.gil_disabled else "")
            if "d" in self.abiflags:
                abi += "d"
            yield from tags.cpython_tags(py, abis=[abi], platforms=platforms)
            interpreter = f"cp{py[0]}{py[1]}"
        else:
            interpreter = f"{tags.INTERPRETER_SHORT_NAMES.get(self.implementation, 'py')}"
            interpreter += f"{py[0]}{py[1]}"
            yield from tags.generic_tags(interpreter, abis=None, platforms=platforms)
        yield from tags.compatible_tags(py, interpreter, platforms)


def find_interpreter(python: str | None) -> str:
    """Resolve ``--python`` as uv does.

    An explicit path (or a venv directory, or a command name on ``PATH``) wins; then the
    active virtual environment (``$VIRTUAL_ENV``); then ``python3`` on ``PATH``.

    :raises TargetError: if nothing usable is found.
    """
    if python is None:
        venv = os.environ.get("VIRTUAL_ENV")
        if venv:
            return find_interpreter(venv)
        found = shutil.which("python3") or shutil.which("python")
        if found is None:
            msg = "no --python given, no virtual environment active and no python3 on PATH"
            raise TargetError(msg)
        return found
    path = Path(python)
    if path.is_dir():
        for candidate in ("bin/python", "bin/python3", "Scripts/python.exe"):
            if (path / candidate).exists():
                return str(path / candidate)
        msg = f"{python}: a directory with no bin/python in it; expected a Python interpreter"
        raise TargetError(msg)
    if os.sep not in python:
        found = shutil.which(python)
        if found is not None:
            return found
    if not path.exists():
        msg = f"{python}: no such file; expected a Python interpreter"
        raise TargetError(msg)
    return str(path)


def _is_running_interpreter(executable: str) -> bool:
    # Same executable path (a venv's python is a symlink to the base one, so compare
    # the unresolved path and the prefix, not the resolved file).
    return os.path.abspath(executable) == os.path.abspath(sys.executable) or (
        Path(executable).parent.parent == Path(sys.prefix) and sys.prefix != sys.base_prefix
    )


def query_target(python: str | None = None, *, use_cache: bool = True) -> Target:
    """Find the target interpreter and ask it about itself.

    The running interpreter is asked in-process (no second interpreter start); any other
    one is run once as ``python -I -S`` with :mod:`tether._query`, and what it says is
    kept in :mod:`tether._cache` (unless *use_cache* is false).

    :raises TargetError: when the interpreter is missing or is not a working Python.
    """
    executable = find_interpreter(python)
    if _is_running_interpreter(executable):
        from tether import _query

        return Target.from_query(_query.query())
    from tether import _cache

    key, stamps = _cache_key(executable)
    use_cache = use_cache and _cache.enabled()
    cached = _cache.get("interpreter", key) if use_cache else None
    if isinstance(cached, dict):
        return Target.from_query(cached)
    data = _ask(executable)
    target = Target.from_query(data)
    if use_cache:
        _cache.put("interpreter", key, stamps, data)
    return target


def _cache_key(executable: str) -> tuple[tuple[object, ...], list[tuple[str, object]]]:
    from tether._cache import take_stamps

    exe = os.path.abspath(executable)
    real = os.path.realpath(exe)
    parent = os.path.dirname(os.path.dirname(exe))
    paths = [real, os.path.join(parent, "pyvenv.cfg"), os.path.join(os.path.dirname(exe), "pyvenv.cfg")]
    env = tuple(os.environ.get(k) for k in ("PYTHONNOUSERSITE", "HOME", "PYTHONUSERBASE"))
    key = (exe, real, tuple(os.uname()), env, os.getuid())
    return key, take_stamps(paths)


def _ask(executable: str) -> dict[str, Any]:
    """Run :mod:`tether._query` in the target, isolated and without ``site``."""
    try:
        proc = subprocess.run(
            [executable, "-I", "-S", "-c", _QUERY_SOURCE.read_text(encoding="utf-8")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as e:
        msg = f"{executable}: cannot run it ({e.__class__.__name__}: {e}); expected a Python interpreter"
        raise TargetError(msg) from e
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        msg = f"{executable}: exited with {proc.returncode} ({first}); expected a Python 3.8+ interpreter"
        raise TargetError(msg)
    import json

    try:
        data: dict[str, Any] = json.loads(proc.stdout)
        Target.from_query(data)
    except (ValueError, KeyError, TypeError) as e:
        msg = f"{executable}: did not answer as a Python 3.8+ interpreter does"
        raise TargetError(msg) from e
    return data
