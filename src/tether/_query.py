"""Learn an interpreter's site directories and marker environment.

This file runs inside the *target* interpreter (Python 3.8 or newer), started as
``python -I -S -c <this source>`` so that no ``.pth`` file, no user site customisation
and no ``PYTHON*`` variable runs or changes anything; or it is imported in-process when
the target is the interpreter running tether. It uses the standard library only and
prints one JSON object.

The site directories are computed the way ``site.main()`` would add them, without
calling it (calling it would execute every ``.pth`` file, our own hook included):

1. a virtual environment (a ``pyvenv.cfg`` beside or above the executable) contributes
   its own ``site-packages`` first;
2. then the user site, when the interpreter would enable it: not in a venv that
   excludes system site-packages, not with ``PYTHONNOUSERSITE``, not setuid;
3. then the base installation's ``site-packages``, unless a venv excludes them.
"""

from __future__ import annotations

import json
import os
import platform
import site
import sys
import sysconfig
from typing import Any, Dict, List, Optional, Tuple


def _full_version(info: Any) -> str:
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def _markers() -> Dict[str, str]:
    # The PEP 508 environment, as packaging.markers.default_environment() builds it.
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _venv() -> Tuple[Optional[str], bool]:
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    prefix = os.path.dirname(exe_dir)
    for folder in (exe_dir, prefix):
        cfg = os.path.join(folder, "pyvenv.cfg")
        if os.path.isfile(cfg):
            system_site = True
            with open(cfg, encoding="utf-8", errors="replace") as f:
                for line in f:
                    key, sep, value = line.partition("=")
                    if sep and key.strip().lower() == "include-system-site-packages":
                        system_site = value.strip().lower() == "true"
            return prefix, system_site
    return None, True


def _venv_sites(venv: str) -> List[str]:
    """The venv's site directories, as ``site.venv()`` makes Python see them.

    Without ``site`` (``-S``), ``sys.prefix`` is still the base installation's, and a
    patched ``getsitepackages`` (Debian's and Ubuntu's, whose non-venv answer is
    ``dist-packages``) then answers for the base. ``site.venv()`` sets ``sys.prefix``
    to the venv before asking, so the query does the same, for the duration of the call.
    """
    saved = sys.prefix, sys.exec_prefix
    sys.prefix = sys.exec_prefix = venv
    try:
        return site.getsitepackages([venv])
    finally:
        sys.prefix, sys.exec_prefix = saved


def _dedupe(paths: List[str]) -> List[str]:
    seen: List[str] = []
    for p in paths:
        p = os.path.normcase(os.path.abspath(p))
        if p not in seen:
            seen.append(p)
    return seen


def query() -> Dict[str, Any]:
    """Return the facts tether needs about the running interpreter."""
    venv, system_site = _venv()
    sites: List[str] = []
    if venv is not None:
        sites += _venv_sites(venv)
    user_site = None
    if (
        system_site
        and not os.environ.get("PYTHONNOUSERSITE")
        and (not hasattr(os, "geteuid") or os.geteuid() == os.getuid())
    ):
        user_site = site.getusersitepackages()
        sites.append(user_site)
    if system_site:
        sites += site.getsitepackages([sys.base_prefix, sys.base_exec_prefix])
    sites = _dedupe(sites)
    if venv is not None:
        purelib = sites[0]
    else:
        purelib = sysconfig.get_paths()["purelib"]
    return {
        "executable": sys.executable,
        "prefix": venv or sys.prefix,
        "venv": venv is not None,
        "sites": sites,
        "user_site": user_site,
        "purelib": purelib,
        "markers": _markers(),
        "version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "abiflags": getattr(sys, "abiflags", ""),
        "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(query()))
