"""The layout of the hook's ``state.marshal``: one ``dict``, written by ``tether
site-install`` (and ``site-refresh``, and by a start that re-judged the environment). A
start reads only its clean part, ``clean.marshal`` (:func:`.startup.clean_part`), unless
a stamp changed.

``marshal`` is used because it is built in: loading it costs no import. Its layout is
versioned by :data:`.startup.STATE_VERSION`; a state of another version is reported in
one line and not used. The keys, typed for the tools (at run time it is a plain dict):
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, TypedDict

    class Options(TypedDict):
        """What ``site-refresh`` re-runs the check with (every path absolute)."""

        python: Optional[str]
        lock: Optional[str]
        extras: List[str]
        all_extras: bool
        groups: List[str]
        only_groups: List[str]
        without_groups: List[str]
        no_default_groups: bool
        environment: str
        all_packages: bool
        superset: bool
        subset: bool
        ignore: List[str]
        timeout: float
        #: Not checking that the lock matches its project file (absent before tether knew).
        frozen: bool
        #: Also verify the installed files (absent from an older tether's state).
        verify_files: bool

    class State(TypedDict):
        """The whole state."""

        version: int
        #: The environment checked (``sys.prefix`` of its interpreter).
        prefix: str
        #: Its site directories, in import order.
        sites: List[str]
        #: The bound's local files (the lock first, then companions); empty for a URL.
        files: List[str]
        #: A digest of each of those files (.scan.digest), to tell a touch from an edit.
        digests: List[Optional[str]]
        #: The bound as shown to users, and the directory its repair command runs in.
        lock: str
        where: str
        #: The compiled expectation (see :mod:`.compare`) and whether the runtime can
        #: judge it alone (:func:`.compare.certain`, and nothing follows ``Requires-Dist``).
        expect: Dict[str, Any]
        certain: bool
        mode: str
        exit_code: int
        exempt: List[str]
        #: The bound's repair command and the command that removes strays, which
        #: :func:`.compare.repair_command` joins for the findings (``repair_strays`` is
        #: absent from the state of an older tether: read with a default).
        repair: str
        repair_strays: str
        #: The tool's re-lock command, put first by :func:`.compare.repair_command` for a
        #: ``stale-lock`` finding, and whether such a finding stops a start in exit mode
        #: (``"exit"``) or only warns (``"warn"``); both read with defaults.
        relock: str
        stale_lock: str
        #: How to run the tether that installed the hook: ``[python, "-m", "tether"]``.
        tether: List[str]
        options: Options
        #: The last verdict (findings, see :mod:`.compare`) and the stamps it holds for.
        lines: List[Any]
        stamps: List[Optional[Any]]


__all__ = []  # type: List[str]
