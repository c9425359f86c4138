"""Find the target interpreter and learn its site directories and marker environment."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether.errors import TargetError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from packaging.tags import Tag

__all__ = ["PendingTarget", "Target", "begin_query", "find_interpreter", "query_target"]

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
    """Resolve ``--python`` as uv does; the answer is an absolute path.

    - a path (``./python``, ``/usr/bin/python3``) or a venv directory, as given; a bare
      name (``python3.12``) is looked up on ``PATH``;
    - a version request (``3.12``, ``python3.12``, ``cpython@3.12``, ``cpython3.12``,
      ``cp312``): ``pythonX.Y`` on ``PATH``;
    - nothing: the active virtual environment (``$VIRTUAL_ENV``), then a ``.venv``
      directory in the working directory or one of its parents, then ``python3`` (or
      ``python``) on ``PATH``.

    :raises TargetError: if nothing usable is found.
    """
    if python is None:
        return _default_interpreter()
    if os.sep in python or python.startswith("."):
        return _from_path(python)
    if Path(python).is_dir():
        return _from_path(python)
    version = _version_request(python)
    if version is not None:
        found = _which(f"python{version}")
        if found is None:
            msg = f"{python}: no python{version} on PATH; expected a Python interpreter"
            raise TargetError(msg)
        return os.path.abspath(found)
    found = _which(python)
    if found is not None:
        return os.path.abspath(found)
    return _from_path(python)


def _default_interpreter() -> str:
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        return _from_path(venv)
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / ".venv"
        if (candidate / "pyvenv.cfg").is_file():
            return _from_path(str(candidate))
    found = _which("python3") or _which("python")
    if found is None:
        msg = "no --python given, no virtual environment active or found (.venv) and no python3 on PATH"
        raise TargetError(msg)
    return os.path.abspath(found)


def _version_request(text: str) -> str | None:
    """``X.Y`` for a version request (``3.12``, ``python3.12``, ``cpython@3.12``,
    ``cpython3.12``, ``cp312``), or ``None`` for anything else."""
    request = text.lower()
    for prefix in ("cpython@", "cpython", "python", "cp"):
        if request.startswith(prefix):
            request = request[len(prefix) :]
            break
    if request.isdigit() and len(request) >= 3 and text.lower().startswith("cp"):
        request = f"{request[0]}.{request[1:]}"  # cp312
    major, dot, minor = request.partition(".")
    if dot and major.isdigit() and minor.isdigit() and major.isascii() and minor.isascii():
        return f"{int(major)}.{int(minor)}"
    return None


def _from_path(python: str) -> str:
    path = Path(python)
    if path.is_dir():
        for candidate in ("bin/python", "bin/python3", "Scripts/python.exe"):
            if (path / candidate).exists():
                return os.path.abspath(path / candidate)
        msg = f"{python}: a directory with no bin/python in it; expected a Python interpreter"
        raise TargetError(msg)
    if not path.exists():
        msg = f"{python}: no such file; expected a Python interpreter"
        raise TargetError(msg)
    return os.path.abspath(path)


def _which(name: str) -> str | None:
    import shutil  # only without --python: shutil costs an import on every other path

    return shutil.which(name)


def _is_running_interpreter(executable: str) -> bool:
    # Same executable path (a venv's python is a symlink to the base one, so compare
    # the unresolved path and the prefix, not the resolved file).
    return os.path.abspath(executable) == os.path.abspath(sys.executable) or (
        Path(executable).parent.parent == Path(sys.prefix) and sys.prefix != sys.base_prefix
    )


#: Seconds a target interpreter has to answer (it only imports the standard library).
QUERY_TIMEOUT = 10.0


class PendingTarget:
    """A target being asked about itself: the interpreter runs while tether goes on
    (importing what reading the bound needs), and :meth:`result` waits for its answer."""

    def __init__(
        self, executable: str, *, use_cache: bool, timeout: float = QUERY_TIMEOUT, in_process: bool = True
    ) -> None:
        """Start asking *executable*; the running interpreter is asked in-process unless
        *in_process* is false."""
        self.executable = executable
        self._target: Target | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._timeout = timeout
        self._cache: tuple[tuple[object, ...], list[tuple[str, object]]] | None = None
        if in_process and _is_running_interpreter(executable):
            from tether import _query

            self._target = Target.from_query(_query.query())
            return
        from tether import _cache

        key, stamps = _cache_key(executable)
        if use_cache and _cache.enabled():
            cached = _cache.get("interpreter", key)
            if isinstance(cached, dict):
                self._target = Target.from_query(cached)
                return
            self._cache = (key, stamps)
        try:
            self._proc = subprocess.Popen(
                [executable, "-I", "-S", "-c", _QUERY_SOURCE.read_text(encoding="utf-8")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as e:
            msg = f"{executable}: cannot run it ({e.strerror or e}); expected a Python interpreter"
            raise TargetError(msg) from e

    def result(self) -> Target:
        """The target's answer.

        :raises TargetError: when it is not a working Python 3.8+, or does not answer in
            time (then it is killed, with everything it started).
        """
        if self._target is not None:
            return self._target
        assert self._proc is not None
        proc = self._proc
        try:
            out, err = proc.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            msg = (
                f"{self.executable}: did not answer within {self._timeout:g} s; "
                "expected a Python 3.8+ interpreter"
            )
            raise TargetError(msg) from None
        if proc.returncode != 0:
            lines = err.decode("utf-8", "replace").strip().splitlines() or ["no output"]
            msg = (
                f"{self.executable}: exited with {proc.returncode} ({lines[-1][:200]}); "
                "expected a Python 3.8+ interpreter"
            )
            raise TargetError(msg)
        import json

        try:
            data: dict[str, Any] = json.loads(out)
            self._target = Target.from_query(data)
        except (ValueError, KeyError, TypeError) as e:
            msg = f"{self.executable}: did not answer as a Python 3.8+ interpreter does"
            raise TargetError(msg) from e
        if self._cache is not None:
            from tether import _cache

            _cache.put("interpreter", self._cache[0], self._cache[1], data)
        return self._target


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill *proc* and everything it started (it leads its own session)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    proc.communicate()


def begin_query(python: str | None = None, *, use_cache: bool = True) -> PendingTarget:
    """Find the target interpreter and start asking it about itself (see :class:`PendingTarget`).

    The running interpreter is asked in-process (no second interpreter start); any other
    one is run once as ``python -I -S`` with :mod:`tether._query`, and what it says is
    kept in :mod:`tether._cache` (unless *use_cache* is false).

    :raises TargetError: when the interpreter is missing or cannot be started.
    """
    return PendingTarget(find_interpreter(python), use_cache=use_cache)


def query_target(python: str | None = None, *, use_cache: bool = True) -> Target:
    """Find the target interpreter and ask it about itself (:func:`begin_query`, waited for).

    :raises TargetError: when the interpreter is missing or is not a working Python.
    """
    return begin_query(python, use_cache=use_cache).result()


def _cache_key(executable: str) -> tuple[tuple[object, ...], list[tuple[str, object]]]:
    from tether._cache import take_stamps

    exe = os.path.abspath(executable)
    real = os.path.realpath(exe)
    parent = os.path.dirname(os.path.dirname(exe))
    paths = [real, os.path.join(parent, "pyvenv.cfg"), os.path.join(os.path.dirname(exe), "pyvenv.cfg")]
    env = tuple(os.environ.get(k) for k in ("PYTHONNOUSERSITE", "HOME", "PYTHONUSERBASE"))
    key = (exe, real, tuple(os.uname()), env, os.getuid())
    return key, take_stamps(paths)
