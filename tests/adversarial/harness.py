"""What every adversarial test shares: a fixed seed, a budget, a time limit per case, and a
record of every input that broke a promise (written out, so it can be replayed).

``TETHER_FUZZ_BUDGET`` (default 150) is how many inputs each (seed file, kind of mutation)
pair tries: CI runs the whole suite in well under a minute on two workers; a deeper run
takes ``TETHER_FUZZ_BUDGET=10000``. ``TETHER_FUZZ_SEED`` changes the fixed seed.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.helpers import linux_311
from tether.cli import main
from tether.errors import TetherError
from tether.sources import Selection, load_bound

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from tether.target import Target

BUDGET = int(os.environ.get("TETHER_FUZZ_BUDGET") or 150)
SEED = int(os.environ.get("TETHER_FUZZ_SEED") or 9)
#: Seconds one input may take, the issue's limit being 10 (a hang is cut off here).
CASE_LIMIT = 5.0


class Hang(BaseException):
    """A case ran past :data:`CASE_LIMIT` (a BaseException: nothing tether catches)."""


@contextlib.contextmanager
def time_limit(seconds: float = CASE_LIMIT) -> Iterator[None]:
    """Raise :class:`Hang` in the block after *seconds* (SIGALRM: interrupts a blocking read)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - xdist runs tests in it
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Findings:
    """The inputs that broke a promise in one test, each saved under ``folder``."""

    folder: Path
    found: list[str] = field(default_factory=list)
    tried: int = 0

    def add(self, label: str, files: Mapping[str, bytes], problem: str) -> None:
        case = self.folder / f"failure-{len(self.found)}"
        case.mkdir(parents=True)
        for name, data in files.items():
            (case / name).parent.mkdir(parents=True, exist_ok=True)
            (case / name).write_bytes(data)
        first = next(iter(files.values()), b"")
        self.found.append(f"{label}: {problem}\n    input: {case} (first 200 bytes: {first[:200]!r})")

    def check(self) -> None:
        """Fail listing the first findings, each with where its input is."""
        shown = "\n".join(self.found[:5])
        more = f"\n... and {len(self.found) - 5} more" if len(self.found) > 5 else ""
        assert not self.found, f"{len(self.found)} of {self.tried} inputs broke a promise:\n{shown}{more}"


def _place(folder: Path, files: Mapping[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.name not in files and old.is_file():
            old.unlink()
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)


def read_case(findings: Findings, label: str, files: Mapping[str, bytes], bound: str,
              selection: Selection | None = None, target: Target | None = None) -> str | None:  # fmt: skip
    """Read *files* (written to a folder, *bound* among them) through ``load_bound``.

    The promise: it reads, or fails with a :class:`~tether.errors.TetherError` whose
    message is one line naming a file of the folder; never another exception, never
    longer than :data:`CASE_LIMIT`. Returns the error message, if any.
    """
    folder = findings.folder / "case"
    _place(folder, files)
    findings.tried += 1
    start = time.monotonic()
    try:
        with time_limit():
            load_bound(str(folder / bound), target or linux_311(), selection or Selection())
    except TetherError as e:
        message = str(e)
        # Named: a file of the folder, or one the input names by absolute path (/dev/zero).
        if "\n" in message or not message.startswith((str(folder), "/")):
            findings.add(label, files, f"not one line naming the file: {message!r}")
        return message
    except Hang:
        findings.add(label, files, f"a hang: no answer within {CASE_LIMIT:g} s")
    except Exception as e:  # noqa: BLE001 - what the suite is here to find
        findings.add(label, files, f"a traceback: {_last_frames(e)}")
    else:
        if time.monotonic() - start > CASE_LIMIT:  # pragma: no cover - a hang the alarm missed
            findings.add(label, files, "slower than the case limit")
    return None


def run_cli(
    findings: Findings, label: str, files: Mapping[str, bytes], args: list[str]
) -> tuple[int, str, str]:
    """``tether.cli.main(args)`` in-process, its input *files* written first (``{folder}``
    in *args* is where). Promise: exit 0, 1 or 2; for 2, one line on stderr naming a file
    of the folder; never an exception, never longer than :data:`CASE_LIMIT`."""
    folder = findings.folder / "case"
    _place(folder, files)
    findings.tried += 1
    out, err = io.StringIO(), io.StringIO()
    code = -1
    try:
        with time_limit(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([a.format(folder=folder) for a in args])
    except Hang:
        findings.add(label, files, f"a hang: no answer within {CASE_LIMIT:g} s")
    except BaseException as e:  # noqa: BLE001 - what the suite is here to find (SystemExit too)
        findings.add(label, files, f"a traceback: {_last_frames(e)}")
    else:
        lines = err.getvalue().splitlines()
        errors = [line for line in lines if line.startswith("tether: error: ")]
        if code not in {0, 1, 2}:
            findings.add(label, files, f"exit code {code}")
        elif code == 2 and (len(errors) != 1 or not errors[0].startswith("tether: error: /")):
            findings.add(label, files, f"not one line naming the file: {err.getvalue()!r}")
    return code, out.getvalue(), err.getvalue()


def _last_frames(e: BaseException) -> str:
    frames = traceback.extract_tb(e.__traceback__)[-3:]
    where = " <- ".join(f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(e).__name__}: {str(e)[:300]} (at {where})"
