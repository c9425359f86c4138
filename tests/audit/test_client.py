"""The OSV client against a real server on 127.0.0.1: batching, pages, concurrency,
failures that are never an empty answer, and a cache of good answers only."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from tests.audit import osv_server
from tests.audit.osv_server import cached_answers
from tests.helpers import run, tool
from tether.audit import client as client_module
from tether.audit.client import Client
from tether.errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.audit.osv_server import OsvServer

AFFECTED = [("py", "1.9.0"), ("sqlparse", "0.4.1"), ("urllib3", "1.26.4"), ("idna", "3.6")]


def ids(answers: dict[tuple[str, str], list[object]]) -> dict[tuple[str, str], list[str]]:
    return {k: sorted(r["id"] for r in v) for k, v in answers.items()}  # type: ignore[index]


def test_pages_are_followed_and_each_record_is_fetched_once(osv: OsvServer, cache_dir: Path) -> None:
    osv.page_size = 1
    client = Client(osv.url, use_cache=False)
    # urllib3 1.26.4 and 1.26.3 share records: fetched once each.
    answers = client.lookup([*AFFECTED, ("urllib3", "1.26.3"), ("certifi", "2024.2.2")])
    assert ids(answers) == {
        ("py", "1.9.0"): ["PYSEC-2020-92", "PYSEC-2022-42969"],
        ("sqlparse", "0.4.1"): ["PYSEC-2021-333", "PYSEC-2023-87"],
        ("urllib3", "1.26.4"): ["PYSEC-2021-108", "PYSEC-2023-192", "PYSEC-2023-212"],
        ("idna", "3.6"): ["PYSEC-2024-60"],
        ("urllib3", "1.26.3"): ["PYSEC-2021-108", "PYSEC-2021-59", "PYSEC-2023-192", "PYSEC-2023-212"],
        ("certifi", "2024.2.2"): [],
    }
    # Page size 1: as many batch calls as the longest answer has records (4).
    assert osv.batch_calls == 4
    assert osv.detail_calls == 9
    assert client.requests == 13


def test_queries_go_in_batches_of_at_most_1000(osv: OsvServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "BATCH", 3)
    packages = [(f"nothing-{i}", "1.0") for i in range(7)]
    assert Client(osv.url, use_cache=False).lookup(packages) == {p: [] for p in packages}
    assert (osv.batch_calls, osv.largest_batch, osv.detail_calls) == (3, 3, 0)
    assert client_module.BATCH == 3
    monkeypatch.undo()
    assert client_module.BATCH == 1000


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        pytest.param("500", "HTTP 500 Internal Server Error (3 attempts)", id="5xx"),
        pytest.param("slow", "timed out after 0.3 s (--timeout) (3 attempts)", id="timeout"),
        pytest.param("invalid-json", "not a JSON answer (", id="invalid-json"),
    ],
)
def test_a_failing_service_is_an_error_naming_the_url_and_nothing_is_cached(
    osv: OsvServer, cache_dir: Path, mode: str, message: str
) -> None:
    osv.mode = mode
    with pytest.raises(AuditError) as caught:
        Client(osv.url, timeout=0.3).lookup(AFFECTED)
    assert str(caught.value).startswith(f"{osv.url}/v1/querybatch: {message}")
    assert cached_answers(cache_dir) == []
    osv.mode = "ok"
    assert ids(Client(osv.url, timeout=5).lookup(AFFECTED))[("idna", "3.6")] == ["PYSEC-2024-60"]
    assert len(cached_answers(cache_dir)) == len(AFFECTED)


def test_a_service_that_is_down_is_an_error(osv: OsvServer, cache_dir: Path) -> None:
    url = "http://127.0.0.1:9"  # the discard port: nothing listens there
    with pytest.raises(
        AuditError, match=r"^http://127\.0\.0\.1:9/v1/querybatch: cannot reach it \("
    ) as caught:
        Client(url, timeout=2).lookup(AFFECTED)
    assert "3 attempts" in str(caught.value)
    assert cached_answers(cache_dir) == []


def test_good_answers_are_cached_for_their_ttl(osv: OsvServer, cache_dir: Path) -> None:
    first = Client(osv.url).lookup(AFFECTED)
    calls = osv.batch_calls + osv.detail_calls
    osv.mode = "500"  # answered from the cache: the service is not asked
    assert Client(osv.url).lookup(AFFECTED) == first
    assert osv.batch_calls + osv.detail_calls == calls
    with pytest.raises(AuditError):  # past the TTL, the service is asked again
        Client(osv.url, ttl=0.0).lookup(AFFECTED)
    # Another service (a mirror) has answers of its own.
    with pytest.raises(AuditError):
        Client(osv.url + "/mirror").lookup(AFFECTED)


def test_concurrent_runs_share_the_cache_safely(osv: OsvServer, cache_dir: Path) -> None:
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(ids(Client(osv.url).lookup(AFFECTED)))
        except BaseException as e:  # noqa: BLE001 - handed to the test
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 6 and all(r == results[0] for r in results)
    for path in cached_answers(cache_dir):
        assert path.stat().st_size > 0
    assert not list(cache_dir.glob("*.tmp"))


class _Drip(BaseHTTPRequestHandler):
    """Sends its answer a byte at a time: each read is quick, the whole never ends."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"results": [{}] * 50}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            return  # the client hung up at its deadline, as it should


def test_a_dripping_answer_is_cut_at_the_deadline(cache_dir: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        start = time.monotonic()
        with pytest.raises(AuditError, match=r"timed out after 0\.5 s"):
            Client(url, timeout=0.5).lookup([("py", "1.9.0")])
        # Three attempts of 0.5 s and two back-offs (0.25 s, 0.5 s), not 50 bytes x 0.05 s x 3.
        assert time.monotonic() - start < 4
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_record_other_than_the_one_asked_for_is_refused(osv: OsvServer, cache_dir: Path) -> None:
    osv.records["PYSEC-2024-60"] = {**osv.records["PYSEC-2024-60"], "id": "PYSEC-0000-0"}
    with pytest.raises(AuditError) as caught:
        Client(osv.url).lookup([("idna", "3.6")])
    assert str(caught.value) == (
        f"{osv.url}/v1/vulns/PYSEC-2024-60: not the OSV record PYSEC-2024-60 (answered with the record 'PYSEC-0000-0')"
    )
    assert cached_answers(cache_dir) == []


class _Tunnel(socketserver.BaseRequestHandler):
    """An HTTPS proxy: ``CONNECT host:port``, then bytes both ways."""

    server: _Proxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].split(b" ", 2)
        if method != b"CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = target.decode().rsplit(":", 1)
        self.server.tunnels.append(target.decode())
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pump = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            pump.start()
            _copy(self.request, upstream)
            pump.join(10)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    tunnels: list[str]


@pytest.fixture
def tls_osv(records_dir: Path, tmp_path: Path) -> Iterator[tuple[OsvServer, Path]]:
    """The OSV server over HTTPS, with a self-signed certificate for 127.0.0.1; and the certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    run(tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert)  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    state, httpd, thread = osv_server.start(osv_server.load_records(records_dir), tls=context)
    try:
        yield state, cert
    finally:
        osv_server.stop(state, httpd, thread)


def test_https_proxy_and_ssl_cert_file_are_honoured(
    tls_osv: tuple[OsvServer, Path], cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    osv, cert = tls_osv
    proxy = _Proxy(("127.0.0.1", 0), _Tunnel)
    proxy.tunnels = []
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        with pytest.raises(AuditError, match=r"its certificate is not trusted .*SSL_CERT_FILE"):
            Client(osv.url, use_cache=False).lookup(AFFECTED)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        answers = Client(osv.url, use_cache=False).lookup(AFFECTED)
        assert ids(answers)[("idna", "3.6")] == ["PYSEC-2024-60"]
        # Every request went through the proxy: the failed one, the batch and 8 records.
        assert len(proxy.tunnels) == 1 + 1 + 8
        assert set(proxy.tunnels) == {osv.url.removeprefix("https://")}
    finally:
        proxy.shutdown()
        proxy.server_close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("ftp://127.0.0.1/osv", "ftp://127.0.0.1/osv: not a URL tether can ask", id="scheme"),
        pytest.param("osv.example", "osv.example: not a URL tether can ask", id="no-scheme"),
        # urlsplit raised ValueError here: a traceback, exit 1.
        pytest.param("http://[::1", "http://[::1: not a URL tether can ask", id="ipv6"),
        # Asked three times, then "not a valid HTTP answer".
        pytest.param("http://osv example", "http://osv example: not a URL tether can ask", id="space"),
    ],
)
def test_a_url_that_cannot_be_asked_is_one_error_not_retried(cache_dir: Path, url: str, message: str) -> None:
    client = Client(url)
    with pytest.raises(AuditError) as caught:
        client.lookup(AFFECTED)
    assert str(caught.value).startswith(message)
    assert client.requests <= 1


class _Garbage(BaseHTTPRequestHandler):
    """Answers with something that is not HTTP at all."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        self.rfile.readline()
        self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        self.close_connection = True


def test_an_answer_that_is_not_http_is_an_error(cache_dir: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        with pytest.raises(
            AuditError, match=r"/v1/querybatch: not a valid HTTP answer \(BadStatusLine: .*\(3 attempts\)$"
        ):
            Client(url).lookup(AFFECTED)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert cached_answers(cache_dir) == []


class _Short(BaseHTTPRequestHandler):
    """Announces 100 bytes, sends 10 and hangs up (a connection dropped mid-answer)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b'{"results"')
        self.close_connection = True


def test_an_answer_cut_short_is_tried_again_and_named_so(cache_dir: Path) -> None:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Short)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        client = Client(url)
        with pytest.raises(
            AuditError,
            match=r"/v1/querybatch: the answer was cut short \(10 of the 100 bytes announced\) \(3 attempts\)$",
        ):
            client.lookup(AFFECTED)
        assert client.requests == 3
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert cached_answers(cache_dir) == []


def test_an_unreadable_ssl_cert_file_is_named_and_not_retried(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It was "cannot reach it (FileNotFoundError ...)" after three attempts, naming
    # neither the file nor the variable.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    client = Client("https://127.0.0.1:1")
    with pytest.raises(AuditError, match=r"missing\.pem: SSL_CERT_FILE: cannot load certificates from it"):
        client.lookup(AFFECTED)
    assert client.requests == 0
    (tmp_path / "junk.pem").write_text("not a certificate")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "junk.pem"))
    with pytest.raises(AuditError, match=r"junk\.pem: SSL_CERT_FILE: cannot load certificates from it"):
        client.lookup(AFFECTED)
