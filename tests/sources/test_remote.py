"""Bounds from a URL (a real HTTP server on 127.0.0.1) and from a local git repository."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import MakeDistVenv, clean_env, cli, data_file
from tether.errors import BoundError
from tether.sources import MAX_BYTES, load_bound
from tether.target import Target


class Handler(http.server.SimpleHTTPRequestHandler):
    #: Every path asked for, in order.
    requested: list[str] = []  # noqa: RUF012 - the test's record of requests

    def do_GET(self) -> None:
        self.requested.append(self.path)
        route = self.path.split("/")[1]
        hostile = HOSTILE.get(route)
        if hostile is not None:
            hostile(self)
        else:
            super().do_GET()

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, body: bytes, *, length: int | None = None, kind: str = "text/plain") -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def drip(self) -> None:
        """One byte every 0.2 s of a 1,000-byte body, until the client goes (or 8 s)."""
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        end = time.monotonic() + 8
        with contextlib.suppress(OSError):
            while time.monotonic() < end:
                self.wfile.write(b"#")
                self.wfile.flush()
                time.sleep(0.2)

    def drip_status(self) -> None:
        """The status line itself, a byte every 0.2 s."""
        end = time.monotonic() + 8
        with contextlib.suppress(OSError):
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nsix" * 10:
                if time.monotonic() > end:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        self.close_connection = True

    def endless(self) -> None:
        """A body without a length, without end: chunks of a valid requirements line."""
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"# " + b"x" * (1 << 20) + b"\n"
        with contextlib.suppress(OSError):
            for _ in range(200):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.close_connection = True

    def bad_chunk(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"zz\r\nsix==1.16.0\r\n0\r\n\r\n")
        self.close_connection = True

    def garbage(self) -> None:
        self.wfile.write(b"hello, this is not HTTP\r\n\r\n")
        self.close_connection = True

    def loop(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


def slow(handler: Handler) -> None:
    time.sleep(2)
    handler.send_error(404)


HOSTILE: dict[str, Callable[[Handler], object]] = {
    "boom": lambda h: h.send_error(500, "Internal Server Error"),
    "slow": slow,
    "drip": Handler.drip,
    "drip-status": Handler.drip_status,
    "short": lambda h: h.answer(b"six==1.16.0\n", length=1000),
    "huge": lambda h: h.answer(b"", length=10 << 30),
    "endless": Handler.endless,
    "bad-chunk": Handler.bad_chunk,
    "garbage": Handler.garbage,
    "page": lambda h: h.answer(b"<!DOCTYPE html><html><body>uv.lock</body></html>", kind="text/html"),
    "page-as-text": lambda h: h.answer(b"\n  <html><body>a listing</body></html>"),
    "loop": Handler.loop,
    # Files as they are, but a dripping companion.
    "drip-companion": lambda h: (
        h.drip() if h.path.endswith("/pyproject.toml") else (http.server.SimpleHTTPRequestHandler.do_GET(h))
    ),
}


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # The /slow/ handler writes after the client gave up (BrokenPipeError): printed,
        # that lands in whichever test's captured stderr runs next.
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args: object) -> Handler:
        return Handler(*args, directory=str(root))  # type: ignore[arg-type]

    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


@pytest.fixture
def venv(dist_venv: MakeDistVenv) -> Path:
    return dist_venv({"six": "1.16.0"})


def test_url_bound(served: tuple[str, Path], venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, root = served
    (root / "requirements.txt").write_text("six==1.16.0\n")
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", f"{base}/requirements.txt")
    assert code == 0 and out.endswith(f"match {base}/requirements.txt\n")
    (root / "requirements.txt").write_text("six==1.17.0\n")
    code, out, _ = cli(capsys, "validate", "-p", venv, "--lock", f"{base}/requirements.txt")
    assert code == 1 and "six" in out  # never answered from the cache


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing/requirements.txt", "HTTP 404 File not found"),
        ("/boom/requirements.txt", "HTTP 500 Internal Server Error"),
        ("/slow/requirements.txt", "timed out after 0.5 s (--timeout bounds the whole download)"),
    ],
)
def test_url_errors(served: tuple[str, Path], venv: Path, capsys: pytest.CaptureFixture[str], path: str,
                    message: str) -> None:  # fmt: skip
    base, _ = served
    url = f"{base}{path}"
    assert cli(capsys, "validate", "-p", venv, "--lock", url, "--timeout", "0.5") == (
        2, "", f"tether: error: {url}: {message}\n")  # fmt: skip


def test_url_bound_with_its_companion(served: tuple[str, Path], venv: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """uv.lock's pyproject.toml is fetched from beside it, and named as the URL it came from."""
    base, root = served
    (root / "app").mkdir()
    shutil.copy(data_file("uv-lock", "uv.cyclic.lock"), root / "app" / "uv.lock")
    shutil.copy(
        data_file("uv-lock", "pyproject.default-groups-a-string.toml"), root / "app" / "pyproject.toml"
    )
    Handler.requested.clear()
    assert cli(capsys, "validate", "-p", venv, "--lock", f"{base}/app/uv.lock") == (2, "", (
        f"tether: error: {base}/app/pyproject.toml: in 'tool.uv.default-groups': expected an array of "
        "group names or 'all', got a string\n"))  # fmt: skip
    assert Handler.requested == ["/app/uv.lock", "/app/pyproject.toml"]
    # Pipfile.lock's reader reads the Pipfile beside it (whether the lock is stale); pixi.lock's
    # reads nothing beside it.
    (root / "app" / "Pipfile.lock").write_text('{"_meta": {"pipfile-spec": 6}, "default": {}}')
    Handler.requested.clear()
    assert cli(capsys, "validate", "-p", venv, "--lock", f"{base}/app/Pipfile.lock")[0] == 1
    assert Handler.requested == ["/app/Pipfile.lock", "/app/Pipfile"]


def test_unreachable_url(venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "validate", "-p", venv, "--lock", "http://127.0.0.1:9/requirements.txt")
    assert (code, out) == (2, "")
    assert err.startswith("tether: error: http://127.0.0.1:9/requirements.txt: cannot reach it (")


def test_git_bound_companion_is_named(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(data_file("uv-lock", "uv.cyclic.lock"), repo / "app" / "uv.lock")
    shutil.copy(
        data_file("uv-lock", "pyproject.default-groups-a-string.toml"), repo / "app" / "pyproject.toml"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    location = f"git+{repo.as_uri()}@main#subdirectory=app"
    assert cli(capsys, "validate", "-p", venv, "--lock", location) == (2, "", (
        f"tether: error: {location} (pyproject.toml): in 'tool.uv.default-groups': expected an array of "
        "group names or 'all', got a string\n"))  # fmt: skip


def git(repo: Path, *args: str) -> str:
    env = clean_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
                    GIT_COMMITTER_EMAIL="t@example.invalid")  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout


def test_git_bound_at_a_revision(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "app" / "requirements.txt").write_text("six==1.16.0\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app" / "requirements.txt").write_text("six==1.17.0\n")
    git(repo, "commit", "-q", "-am", "two")
    url = repo.as_uri()
    # A folder: the bound is found in it; a file: read as named.
    assert cli(capsys, "validate", "-p", venv, "--lock", f"git+{url}@{first}#subdirectory=app")[0] == 0
    code, out, _ = cli(
        capsys, "validate", "-p", venv, "--lock", f"git+{url}@main#subdirectory=app/requirements.txt"
    )
    assert code == 1 and "1.17.0" in out
    assert cli(capsys, "validate", "-p", venv, "--lock", f"git+{repo}@{first}#subdirectory=app")[0] == 0
    location = f"git+{url}@no-such-ref#subdirectory=app"
    assert cli(capsys, "validate", "-p", venv, "--lock", location) == (
        2, "", f"tether: error: {location}: no revision 'no-such-ref' in the repository\n")  # fmt: skip
    location = f"git+{url}@{first}"
    assert cli(capsys, "validate", "-p", venv, "--lock", location) == (
        2, "", f"tether: error: {location}: no bound file in the repository root at {first}\n")  # fmt: skip


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param(
            "/drip/requirements.txt",
            "timed out after 1 s (--timeout bounds the whole download)",
            id="a body dripping a byte at a time",
        ),
        pytest.param(
            "/drip-status/requirements.txt",
            "timed out after 1 s (--timeout bounds the whole download)",
            id="a status line dripping",
        ),
        pytest.param(
            "/short/requirements.txt",
            "the download was cut short (12 of the 1000 bytes announced)",
            id="shorter than its Content-Length",
        ),
        pytest.param(
            "/huge/requirements.txt",
            "is larger than 64 MiB (10737418240 bytes), the most tether downloads for a bound",
            id="announced too large",
        ),
        pytest.param(
            "/endless/requirements.txt",
            "is larger than 64 MiB, the most tether downloads for a bound",
            id="chunked without end",
        ),
        pytest.param(
            "/bad-chunk/requirements.txt",
            "not a valid HTTP answer (IncompleteRead: IncompleteRead(0 bytes read))",
            id="a chunk size that is no number",
        ),
        pytest.param(
            "/garbage/requirements.txt",
            "not a valid HTTP answer (BadStatusLine: hello, this is not HTTP)",
            id="not HTTP",
        ),
        pytest.param(
            "/page/requirements.txt",
            "is a web page (a folder listing, or a page showing the file); expected the raw file's URL",
            id="text/html",
        ),
        pytest.param(
            "/page-as-text/requirements.txt",
            "is a web page (a folder listing, or a page showing the file); expected the raw file's URL",
            id="HTML served as text",
        ),
        pytest.param(
            "/loop/requirements.txt",
            "HTTP 302 The HTTP server returned a redirect error that would lead to an infinite loop.",
            id="a redirect loop",
        ),
        pytest.param(
            "/app",
            "is a folder (the server redirected to {base}/app/); expected the URL of a bound file",
            id="a folder, redirected",
        ),
        pytest.param("/app/", "names no file; expected a URL ending in the bound's file name", id="a folder"),
        pytest.param(
            "/app/..", "names no file; expected a URL ending in the bound's file name", id="dot-dot"
        ),
        pytest.param(
            "/app/%2E%2E",
            "names no file; expected a URL ending in the bound's file name",
            id="dot-dot, quoted",
        ),
    ],
)
def test_hostile_servers(served: tuple[str, Path], venv: Path, capsys: pytest.CaptureFixture[str], path: str,
                         message: str) -> None:  # fmt: skip
    """Each answer is refused in one line, within the deadline (1 s) and a little."""
    base, root = served
    (root / "app").mkdir()
    url = f"{base}{path}"
    start = time.monotonic()
    result = cli(capsys, "validate", "-p", venv, "--lock", url, "--timeout", "1")
    assert time.monotonic() - start < 5
    assert result == (2, "", f"tether: error: {url}: {message.format(base=base)}\n")


def test_a_companion_that_fails_is_named(served: tuple[str, Path], venv: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """A companion the server has no answer for in time is an error, not taken as absent
    (uv's default groups would be assumed)."""
    base, root = served
    (root / "drip-companion").mkdir()
    shutil.copy(data_file("uv-lock", "uv.cyclic.lock"), root / "drip-companion" / "uv.lock")
    code, out, err = cli(capsys, "validate", "-p", venv, "--lock", f"{base}/drip-companion/uv.lock",
                         "--timeout", "1")  # fmt: skip
    assert (code, out) == (2, "")
    assert err == (f"tether: error: {base}/drip-companion/pyproject.toml: timed out after 1 s (--timeout "
                   "bounds the whole download)\n")  # fmt: skip


def test_a_download_takes_its_companion_from_beside_it(served: tuple[str, Path], venv: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    base, root = served
    (root / "slowapp").mkdir()
    shutil.copy(data_file("uv-lock", "uv.cyclic.lock"), root / "slowapp" / "uv.lock")
    Handler.requested.clear()
    # The lock downloads; the companion beside it is a 404: absent, uv's default assumed.
    code, _, err = cli(capsys, "validate", "-p", venv, "--lock", f"{base}/slowapp/uv.lock")
    assert code == 1
    assert "no pyproject.toml beside it" in err
    assert Handler.requested == ["/slowapp/uv.lock", "/slowapp/pyproject.toml"]


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_a_timeout_that_is_no_deadline(timeout: str, served: tuple[str, Path], here: Target) -> None:
    base, _ = served
    with pytest.raises(BoundError) as exc:
        load_bound(f"{base}/x/requirements.txt", here, timeout=float(timeout))
    assert str(exc.value) == (f"{base}/x/requirements.txt: invalid timeout {float(timeout)!r}; expected a "
                              "positive number of seconds")  # fmt: skip


def test_git_file_not_utf8(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "requirements.txt").write_bytes(b"six==1.16.0 # caf\xe9\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "latin-1")
    location = f"git+{repo.as_uri()}"
    assert cli(capsys, "validate", "-p", venv, "--lock", location) == (
        2, "", f"tether: error: {location}: is not UTF-8 text (invalid byte at offset 17)\n")  # fmt: skip


def test_git_names_with_odd_bytes(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ls-tree's names are read as bytes: a non-UTF-8 or quoted name beside the bound is fine."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "requirements.txt").write_text("six==1.16.0\n")
    (repo / os.fsdecode(b'caf\xe9 \t"x".txt')).write_text("")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "odd")
    assert cli(capsys, "validate", "-p", venv, "--lock", f"git+{repo}")[0] == 0


def test_git_url_is_not_an_option(tmp_path: Path, venv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    location = f"git+--upload-pack=touch {marker}"
    code, _, err = cli(capsys, "validate", "-p", venv, "--lock", location)
    assert code == 2 and err.startswith(f"tether: error: {location}: git clone: ")
    assert not marker.exists()


def test_git_that_hangs_is_killed_with_its_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    here: Target) -> None:  # fmt: skip
    """At the deadline, git and what it started (a remote helper, ssh) are killed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pid_file = tmp_path / "child.pid"
    fake = bin_dir / "git"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nsleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    start = time.monotonic()
    with pytest.raises(BoundError) as exc:
        load_bound("git+https://example.invalid/repo", here, timeout=0.5)
    assert time.monotonic() - start < 3
    assert str(exc.value) == (
        "git+https://example.invalid/repo: git timed out after 0.5 s (--timeout bounds the whole fetch)"
    )
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child)


def alive(pid: int) -> bool:
    """Whether *pid* runs (a zombie waiting for its reaper does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_git_blob_too_large(tmp_path: Path, here: Target) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    with (repo / "requirements.txt").open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "big")
    location = f"git+{repo}"
    with pytest.raises(BoundError) as exc:
        load_bound(location, here)
    assert str(exc.value) == (
        f"{location}: is larger than 64 MiB (67108865 bytes), the most tether reads of a bound file"
    )


def test_a_remote_workspace_lock_is_not_judged_stale(served: tuple[str, Path], venv: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """Only the pyproject.toml beside a remote uv.lock is fetched, not the workspace's
    members: whether the lock matches them is not told (a note), rather than guessed."""
    base, root = served
    (root / "ws").mkdir()
    for name in ("uv.lock", "pyproject.toml"):
        shutil.copy(data_file("uv-lock", "workspace", name), root / "ws" / name)
    code, out, err = cli(capsys, "validate", "-p", venv, "--lock", f"{base}/ws/uv.lock", "--format", "json")
    assert code == 1 and json.loads(out)["summary"]["stale-lock"] == 0
    assert (
        f"tether: note: {base}/ws/uv.lock: whether it matches its project files was not checked (the members "
        "of a workspace are not fetched with a remote lock)\n"
    ) in err
