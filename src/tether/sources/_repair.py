"""The commands that repair an environment, per tool, as readers give them in
:attr:`Bound.repair <tether.models.Bound.repair>` and :attr:`Bound.repair_strays
<tether.models.Bound.repair_strays>`.

A hint must repair when it is run as printed, in the bound's directory (the start-up
check prints that directory; ``tether validate`` prints the bound's path as the user
named it, relative to the working directory), whichever interpreter is the target:

- tools that take an interpreter are given the target's (``--python``,
  ``--python-executable``, ``PY -m pip``), shell-quoted;
- tools that sync "the project's environment" (``uv sync``, ``poetry sync``, ``pipenv``)
  choose it themselves: the project's ``.venv`` when it exists. For any other target
  they are told which environment to sync through the variable each reads
  (``UV_PROJECT_ENVIRONMENT``; ``VIRTUAL_ENV`` for poetry and pipenv, which use an
  active virtual environment);
- what a tool leaves installed (``pip install -r`` and ``pip install -e`` keep packages
  the bound does not name; ``pipenv sync`` too) is removed by a second command,
  :attr:`~tether.models.Bound.repair_strays`, which the report adds only when there are
  such packages (:func:`tether.runtime.compare.repair_command`).
"""

from __future__ import annotations

import os
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from tether.target import Target

__all__ = ["NAMES", "in_environment", "pip", "pip_uninstall", "poetry_sync", "python", "uv_sync"]

#: The placeholder :func:`tether.runtime.compare.repair_command` replaces with the
#: unexpected packages' names.
NAMES = "{names}"


def python(target: Target) -> str:
    """The target's interpreter as one shell word."""
    return shlex.quote(target.executable)


def pip(target: Target, *args: str) -> str:
    """``PY -m pip ARGS``: the target's own pip (a bare ``pip`` may be another's)."""
    return " ".join([python(target), "-m", "pip", *args])


def pip_uninstall(target: Target) -> str:
    """The command removing the unexpected packages with the target's pip."""
    return pip(target, "uninstall", "-y", NAMES)


def in_environment(variable: str, target: Target, project: Path) -> str:
    """``VARIABLE=PREFIX `` when the target is not the project's ``.venv`` (the
    environment a project tool syncs unless told otherwise), else nothing."""
    if os.path.realpath(target.prefix) == os.path.realpath(project / ".venv"):
        return ""
    return f"{variable}={shlex.quote(target.prefix)} "


def uv_sync(target: Target, project: Path, flags: Sequence[str]) -> str:
    """``uv sync`` of *project* into the target (it removes what the lock does not name)."""
    return in_environment("UV_PROJECT_ENVIRONMENT", target, project) + " ".join(["uv sync", *flags])


def poetry_sync(target: Target, project: Path, flags: Sequence[str]) -> str:
    """``poetry sync`` of *project* into the target (it removes what the lock does not name)."""
    return in_environment("VIRTUAL_ENV", target, project) + " ".join(["poetry sync", *flags])
