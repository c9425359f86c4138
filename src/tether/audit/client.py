"""The OSV API client: ``POST /v1/querybatch``, then ``GET /v1/vulns/{id}``.

The standard library's urllib, not a third-party client: an auditing tool should add as
few packages as it can to the environments it is installed in (each is one more thing to
audit), and urllib already honours what this needs: the ``*_proxy`` variables
(``HTTPS_PROXY``, ``no_proxy``), ``SSL_CERT_FILE`` (:mod:`tether._net`), and a deadline
for the whole of each request, which the sockets :mod:`tether._net` tracks make possible
(a server dripping bytes is cut at the deadline, where a per-read time-out would wait).

The protocol (https://google.github.io/osv.dev/api/):

1. the packages are asked in batches of at most 1,000 queries (the API's limit); a
   result with a ``next_page_token`` has more: that query is asked again with the token,
   in a batch of such queries, until no token comes back;
2. the batch answers name ids only: every distinct id is fetched once, concurrently
   (``GET /v1/vulns/{id}``).

Failures are never an empty answer. A connection refused, a time-out, an HTTP error
status, or an answer that is not what the API returns (not JSON, not its shape, another
record than the one asked for) raises :class:`~tether.errors.AuditError` naming the URL.
A time-out, a refused or dropped connection, HTTP 429 and 5xx are tried again, at most
:data:`RETRIES` more times, after 0.25 s, then 0.5 s; anything else at once.

Good answers are cached per package and version (the full records), for
:data:`DEFAULT_TTL` seconds, in tether's cache directory, one file per key written
atomically (a concurrent run reads either the old or the new file); a run that failed
anywhere stores nothing.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from tether.errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["BATCH", "DEFAULT_TTL", "DEFAULT_URL", "RETRIES", "Client"]

DEFAULT_URL = "https://api.osv.dev"
#: The most queries one ``querybatch`` call may hold (the API's limit).
BATCH = 1000
RETRIES = 2
_BACKOFF = 0.25
#: How long a cached answer is used, in seconds.
DEFAULT_TTL = 3600.0
#: A service that keeps handing out page tokens is not answering.
_MAX_PAGES = 100
_MAX_BODY = 64 << 20
_WORKERS = 8


class _Retry(Exception):
    """A failure worth another attempt (its message is the one kept if none succeeds)."""


class Client:
    """Asks an OSV service (or a mirror of its API) about PyPI packages.

    :param url: the service's base URL (``/v1/...`` is appended).
    :param timeout: seconds allowed for each request, from its start to its last byte.
    :param use_cache: read and store answers in the cache (see the module's docstring).
    :param progress: called as ``progress(done, total)`` while records are fetched.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 30.0,
        use_cache: bool = True,
        ttl: float = DEFAULT_TTL,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.use_cache = use_cache
        self.ttl = ttl
        self.progress = progress
        #: Requests sent (every attempt counts), for the benchmark and the tests.
        self.requests = 0
        self._lock = threading.Lock()

    # -- the protocol ----------------------------------------------------------------

    def lookup(self, packages: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[object]]:
        """The raw OSV records the service says affect each ``(name, version)``.

        :raises AuditError: when the service cannot be asked or answers wrongly.
        """
        self._check_url()
        self._check_certificates()
        answers: dict[tuple[str, str], list[object]] = {}
        wanted = list(dict.fromkeys(packages))
        if self.use_cache:
            for package in wanted:
                cached = self._cached(package)
                if cached is not None:
                    answers[package] = cached
        asked = [p for p in wanted if p not in answers]
        if not asked:
            return answers
        ids = self._query(asked)
        records = self._fetch(sorted({i for found in ids.values() for i in found}))
        fresh = {package: [records[i] for i in ids[package]] for package in asked}
        if self.use_cache:
            for package, found in fresh.items():
                self._store(package, found)
        return {**answers, **fresh}

    def _check_url(self) -> None:
        try:
            parts = urllib.parse.urlsplit(self.url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not one
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in {"http", "https"}
            or not parts.netloc
            or any(c.isspace() or not c.isprintable() for c in self.url)
        ):
            raise AuditError(self.url, "not a URL tether can ask: expected http://HOST or https://HOST")

    def _check_certificates(self) -> None:
        """Load ``SSL_CERT_FILE`` once, before any request: a file that cannot be read
        is the user's to fix, not a network failure to try three times."""
        import os

        from tether._net import first_line, ssl_context

        cafile = os.environ.get("SSL_CERT_FILE") or None
        try:
            ssl_context(cafile)
        except OSError as e:  # ssl.SSLError is one
            why = first_line(e.strerror or e) if not isinstance(e, ssl.SSLError) else first_line(e)
            raise AuditError(
                str(cafile), f"SSL_CERT_FILE: cannot load certificates from it ({why})"
            ) from None

    def _query(self, packages: Sequence[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
        """The ids of the records affecting each package, every page followed."""
        ids: dict[tuple[str, str], list[str]] = {p: [] for p in packages}
        pending: list[tuple[tuple[str, str], str | None]] = [(p, None) for p in packages]
        for _ in range(_MAX_PAGES):
            more: list[tuple[tuple[str, str], str | None]] = []
            for start in range(0, len(pending), BATCH):
                chunk = pending[start : start + BATCH]
                for (package, _token), (found, token) in zip(chunk, self._batch(chunk), strict=True):
                    ids[package].extend(i for i in found if i not in ids[package])
                    if token:
                        more.append((package, token))
            if not more:
                return ids
            pending = more
        url = f"{self.url}/v1/querybatch"
        raise AuditError(url, f"still handing out next_page_token after {_MAX_PAGES} pages")

    def _batch(self, chunk: Sequence[tuple[tuple[str, str], str | None]]) -> list[tuple[list[str], str]]:
        url = f"{self.url}/v1/querybatch"
        queries = []
        for (name, version), token in chunk:
            query: dict[str, object] = {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
            if token is not None:
                query["page_token"] = token
            queries.append(query)
        answer = self._request(url, {"queries": queries})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(queries):
            expected = f"an object whose 'results' holds {len(queries)} results"
            raise AuditError(url, f"not an OSV querybatch answer (expected {expected})")
        return [_result(url, i, result) for i, result in enumerate(results)]

    def _fetch(self, ids: Sequence[str]) -> dict[str, object]:
        """Every record of *ids*, fetched concurrently; the first failure ends them all."""
        records: dict[str, object] = {}
        if not ids:
            return records
        done = 0
        with ThreadPoolExecutor(max_workers=min(_WORKERS, len(ids)), thread_name_prefix="tether-osv") as pool:
            futures = {pool.submit(self._record, i): i for i in ids}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        for other in pending:
                            other.cancel()
                        raise error
                    records[futures[future]] = future.result()
                    done += 1
                    if self.progress is not None:
                        self.progress(done, len(ids))
        return records

    def _record(self, ident: str) -> object:
        url = f"{self.url}/v1/vulns/{urllib.parse.quote(ident, safe='')}"
        record = self._request(url, None)
        if not isinstance(record, dict) or record.get("id") != ident:
            got = record.get("id") if isinstance(record, dict) else None
            what = f"the record {got!r}" if isinstance(got, str) else "something else"
            raise AuditError(url, f"not the OSV record {ident} (answered with {what})")
        from tether.audit.osv import parse_advisory

        parse_advisory(record, url)  # a malformed record fails the run here, before any caching
        return record

    # -- one request -----------------------------------------------------------------

    def _request(self, url: str, body: object | None) -> object:
        """The JSON answer to one request (POST when *body* is given), tried again on
        transient failures.

        :raises AuditError: naming *url*.
        """
        for attempt in range(RETRIES + 1):
            try:
                return self._once(url, body)
            except _Retry as e:
                if attempt == RETRIES:
                    raise AuditError(url, f"{e} ({RETRIES + 1} attempts)") from None
                time.sleep(_BACKOFF * 2**attempt)
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _once(self, url: str, body: object | None) -> object:
        from tether._net import Connections, first_line, opener

        with self._lock:
            self.requests += 1
        data = None if body is None else json.dumps(body).encode()
        headers = {"User-Agent": "tether", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - http(s) URLs only
        connections = Connections()
        watchdog = threading.Timer(self.timeout, connections.shut)
        watchdog.daemon = True
        watchdog.start()
        try:
            with opener(connections).open(request, timeout=self.timeout) as response:
                raw = response.read(_MAX_BODY + 1)
                length = response.headers.get("Content-Length", "")
        except (OSError, ValueError, http.client.HTTPException) as e:  # URLError is an OSError
            raise self._failure(url, e, connections.closed) from None
        finally:
            watchdog.cancel()
        if connections.closed:
            raise _Retry(self._timed_out())
        if len(raw) > _MAX_BODY:
            raise AuditError(url, f"an answer larger than {_MAX_BODY >> 20} MiB")
        if length.strip().isdigit() and len(raw) < int(length):
            # http.client hands back a body cut short without complaint: a dropped
            # connection, worth another attempt, not an answer that is "not JSON".
            raise _Retry(f"the answer was cut short ({len(raw)} of the {int(length)} bytes announced)")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as e:
            raise AuditError(url, f"not a JSON answer ({first_line(e)})") from None

    def _timed_out(self) -> str:
        return f"timed out after {self.timeout:g} s (--timeout)"

    def _failure(self, url: str, error: Exception, closed: bool) -> Exception:
        """What a failed request is: worth another attempt (:class:`_Retry`) or not."""
        from tether._net import first_line

        if isinstance(error, urllib.error.HTTPError):
            error.close()
            status = f"HTTP {error.code} {first_line(error.reason)}".rstrip()
            return _Retry(status) if error.code == 429 or error.code >= 500 else AuditError(url, status)
        if closed:
            return _Retry(self._timed_out())
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, ssl.SSLCertVerificationError):
            # Not transient: the same certificate would be refused again.
            trust = "SSL_CERT_FILE names the certificates to trust"
            return AuditError(url, f"its certificate is not trusted ({first_line(reason)}); {trust}")
        if isinstance(reason, TimeoutError):
            return _Retry(self._timed_out())
        if isinstance(error, http.client.HTTPException) and not isinstance(error, OSError):
            # A status line that is not HTTP, a body cut short: a server restarting, a proxy.
            return _Retry(f"not a valid HTTP answer ({type(error).__name__}: {first_line(error)})")
        if isinstance(error, ValueError) or not isinstance(reason, OSError):
            return AuditError(url, f"not a URL tether can ask ({first_line(reason)})")
        return _Retry(f"cannot reach it ({type(reason).__name__}: {first_line(reason)})")

    # -- the cache -------------------------------------------------------------------

    def _key(self, package: tuple[str, str]) -> tuple[object, ...]:
        return (1, self.url, package[0], package[1])

    def _cached(self, package: tuple[str, str]) -> list[object] | None:
        from tether import _cache

        value = _cache.get("osv", self._key(package))
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], list)):
            return None
        stored, records = value
        if not isinstance(stored, float) or not 0 <= time.time() - stored < self.ttl:
            return None
        return list(records)

    def _store(self, package: tuple[str, str], records: list[object]) -> None:
        from tether import _cache

        _cache.put("osv", self._key(package), [], (time.time(), records))


def _result(url: str, index: int, result: object) -> tuple[list[str], str]:
    """The ids and the next page token of one querybatch result."""
    if not isinstance(result, dict):
        raise AuditError(url, f"not an OSV querybatch answer (results[{index}] is not an object)")
    vulns = result.get("vulns", [])
    token = result.get("next_page_token", "")
    if not isinstance(vulns, list) or not isinstance(token, str):
        raise AuditError(url, f"not an OSV querybatch answer (results[{index}] has the wrong shape)")
    ids = []
    for j, vuln in enumerate(vulns):
        ident = vuln.get("id") if isinstance(vuln, dict) else None
        if not isinstance(ident, str) or not ident or "/" in ident:
            raise AuditError(url, f"not an OSV querybatch answer (results[{index}].vulns[{j}] has no id)")
        ids.append(ident)
    return ids, token
