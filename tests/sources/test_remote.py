"""Bounds from a URL (a real HTTP server on 127.0.0.1) and from a local git repository."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MakeDistVenv, clean_env, data_file
from tether.cli import main


class Handler(http.server.SimpleHTTPRequestHandler):
    #: Every path asked for, in order.
    requested: list[str] = []  # noqa: RUF012 - the test's record of requests

    def do_GET(self) -> None:
        self.requested.append(self.path)
        if self.path.startswith("/boom/"):
            self.send_error(500, "Internal Server Error")
        elif self.path.startswith("/slow/"):
            time.sleep(2)
            self.send_error(404)
        else:
            super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


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


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


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
        ("/slow/requirements.txt", "timed out after 0.5 s"),
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
    # Pipfile.lock's reader reads nothing beside it, so nothing else is fetched.
    (root / "app" / "Pipfile.lock").write_text('{"_meta": {"pipfile-spec": 6}, "default": {}}')
    Handler.requested.clear()
    assert cli(capsys, "validate", "-p", venv, "--lock", f"{base}/app/Pipfile.lock")[0] == 1
    assert Handler.requested == ["/app/Pipfile.lock"]


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
