"""A small OSV API on 127.0.0.1, answering from real advisory records.

It implements what tether's client asks of OSV (``POST /v1/querybatch``, ``GET
/v1/vulns/{id}``), and ``POST /v1/query`` (one package, full records), which pip-audit
asks for in the benchmark, and OSV's matching semantics itself, written apart from tether's
matcher on purpose (a test of tether against tether proves nothing): each ``ECOSYSTEM``
range is read as intervals, pairing every ``introduced`` with the ``fixed`` or
``last_affected`` that follows it in the record, compared with ``packaging`` versions;
an explicit ``versions`` list matches by equality; withdrawn records are still served
(OSV serves them too; the client drops them).

Modes make it fail as real services do: ``500`` (every answer an internal error),
``slow`` (answers after ``delay`` seconds), ``invalid-json``, and ``page_size`` splits
each query's answer into pages joined by ``next_page_token``. It counts what it is asked.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.helpers import DATA


def load_records(root: Path) -> dict[str, dict[str, Any]]:
    """Every YAML or JSON record under *root*, by id (all scalars read as strings)."""
    records = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in {".yaml", ".yml"}:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            continue
        records[data["id"]] = data
    return records


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _intervals(events: list[dict[str, str]]) -> list[tuple[Version | None, Version | None, bool]]:
    """``(start, end, end_included)`` for each introduced..fixed/last_affected pair, in the
    order the record lists them; ``None`` start: from the first version; ``None`` end: open."""
    out: list[tuple[Version | None, Version | None, bool]] = []
    start: Version | None = None
    open_ = False
    for event in events:
        ((kind, value),) = event.items()
        if kind == "introduced":
            start = None if value == "0" else _version(value)
            if value == "0" or start is not None:
                open_ = True
        elif kind in {"fixed", "last_affected"} and open_:
            end = _version(value)
            if end is not None:
                out.append((start, end, kind == "last_affected"))
                open_ = False
    if open_:
        out.append((start, None, False))
    return out


def matches(record: dict[str, Any], name: str, version: str) -> bool:
    """Whether *record* names PyPI *name* at *version*."""
    wanted = _version(version)
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        listed = affected.get("versions") or []
        if version in listed or (wanted is not None and wanted in {_version(v) for v in listed}):
            return True
        if wanted is None:
            continue
        for r in affected.get("ranges", []):
            if r.get("type") != "ECOSYSTEM":
                continue
            for start, end, included in _intervals(r.get("events", [])):
                above = start is None or wanted >= start
                below = end is None or (wanted <= end if included else wanted < end)
                if above and below:
                    return True
    return False


@dataclass
class OsvServer:
    """The server's state: its records, its mode, and what it was asked."""

    records: dict[str, dict[str, Any]]
    mode: str = "ok"
    page_size: int = 1000
    delay: float = 5.0
    batch_calls: int = 0
    detail_calls: int = 0
    query_calls: int = 0
    largest_batch: int = 0
    queries: list[dict[str, Any]] = field(default_factory=list)
    #: What ``GET /v1/vulns/{id}`` answers instead of the record (a malformed record).
    served: dict[str, Any] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    #: Ids by the canonical names their records name (the server would be the slow side of
    #: the benchmark if it scanned every record for every query).
    by_name: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ident, record in sorted(self.records.items()):
            names = {
                canonicalize_name(a.get("package", {}).get("name", ""))
                for a in record.get("affected", [])
                if a.get("package", {}).get("ecosystem") == "PyPI"
            }
            for name in names:
                self.by_name.setdefault(name, []).append(ident)

    def _matching(self, name: str, version: str) -> list[str]:
        return [i for i in self.by_name.get(name, []) if matches(self.records[i], name, version)]

    def answer_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        results = []
        for query in body["queries"]:
            self.queries.append(query)
            name = canonicalize_name(query["package"]["name"])
            ids = self._matching(name, query["version"])
            offset = int(query.get("page_token", "0"))
            page = ids[offset : offset + self.page_size]
            result: dict[str, Any] = {}
            if page:
                result["vulns"] = [{"id": i, "modified": self.records[i].get("modified", "")} for i in page]
            if offset + self.page_size < len(ids):
                result["next_page_token"] = str(offset + self.page_size)
            results.append(result)
        return {"results": results}

    def answer_query(self, query: dict[str, Any]) -> dict[str, Any]:
        name = canonicalize_name(query["package"]["name"])
        found = [self.records[i] for i in self._matching(name, query["version"])]
        return {"vulns": found} if found else {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _fails(self) -> bool:
        state = self.server.state
        if state.mode == "slow":
            state.release.wait(state.delay)
        if state.mode == "500":
            self._send(500, b'{"code": 13, "message": "internal error"}')
            return True
        if state.mode == "invalid-json":
            self._send(200, b'{"results": [')
            return True
        return False

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        if self.path == "/v1/query":
            with state.lock:
                state.query_calls += 1
            if not self._fails():
                self._send(200, json.dumps(state.answer_query(body)).encode())
            return
        with state.lock:
            state.batch_calls += 1
            state.largest_batch = max(state.largest_batch, len(body.get("queries", [])))
        if self._fails():
            return
        if self.path != "/v1/querybatch":
            self._send(404, b'{"code": 5, "message": "not found"}')
            return
        self._send(200, json.dumps(state.answer_batch(body)).encode())

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.detail_calls += 1
        if self._fails():
            return
        prefix = "/v1/vulns/"
        ident = self.path[len(prefix) :] if self.path.startswith(prefix) else ""
        record = state.served.get(ident, state.records.get(ident))
        if record is None:
            self._send(404, b'{"code": 5, "message": "Bug not found."}')
            return
        self._send(200, json.dumps(record).encode())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the SYNs of more concurrent clients,
    # which then retry after a second: a real service's backlog is far larger.
    request_queue_size = 128
    state: OsvServer


def start(
    records: dict[str, dict[str, Any]], tls: ssl.SSLContext | None = None
) -> tuple[OsvServer, ThreadingHTTPServer, threading.Thread]:
    """Serve *records* on a free port of 127.0.0.1 from a thread (HTTPS with *tls*)."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    state = OsvServer(records=records)
    httpd.state = state
    state.url = f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="osv-server", daemon=True
    )
    thread.start()
    return state, httpd, thread


def stop(state: OsvServer, httpd: ThreadingHTTPServer, thread: threading.Thread) -> None:
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(10)


RECORDS = DATA / "osv" / "vulns"

#: Made up, and said so in tests/data/osv/README.md: the snapshot holds no
#: malicious-package report, and OSV's are MAL- records of this shape.
MALWARE_NAME = "tether-test-malware-example"
MALWARE = """\
id: MAL-2099-0001
summary: Malicious code in tether-test-malware-example (PyPI)
details: A made-up malicious-package report for tether's tests.
modified: '2099-01-01T00:00:00Z'
published: '2099-01-01T00:00:00Z'
affected:
- package:
    ecosystem: PyPI
    name: tether-test-malware-example
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: '0'
"""


def cached_answers(cache: Path) -> list[Path]:
    """The OSV answers stored in *cache*."""
    return sorted(cache.glob("osv-*.marshal")) if cache.exists() else []
