"""One HTTP(S) download with a deadline for the whole of it and a cap on its size.

urllib's ``timeout`` bounds each socket operation, so a server that sends a byte every
half second keeps a download going for ever. Here the request runs in a worker thread and
the caller waits for it until the deadline; then the connection's socket is shut down
(:mod:`tether._net`), which ends the worker's read, and the caller reports the time-out.
Proxies (``*_proxy``) and certificates (``SSL_CERT_FILE``, else the system's) are urllib's.

Imported only for a remote bound: ``http.client`` and ``ssl`` are slow to import.
"""

from __future__ import annotations

import http.client
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from tether._net import Connections, opener
from tether._net import first_line as _first_line
from tether.errors import BoundError
from tether.sources._files import MAX_BYTES

if TYPE_CHECKING:
    from urllib.response import addinfourl

__all__ = ["download"]

_CHUNK = 1 << 16
_CAP = f"{MAX_BYTES >> 20} MiB"


class Missing(BoundError):
    """The server answered with an error status (404, 403, ...): it has no such file."""


def timed_out(timeout: float) -> str:
    """The message for a download or fetch that did not finish within *timeout*."""
    return f"timed out after {timeout:g} s (--timeout bounds the whole download)"


def download(url: str, timeout: float) -> bytes:
    """The body of *url*, complete, within *timeout* seconds in all.

    :raises Missing: for an HTTP error status.
    :raises BoundError: when it cannot be had whole in time, is larger than
        :data:`~tether.sources._files.MAX_BYTES`, or is a folder or a web page.
    """
    connections = Connections()
    outcome: list[bytes | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_get(url, timeout, connections))
        except BaseException as e:  # noqa: BLE001 - handed to the waiting thread, which raises it
            outcome.append(e)

    worker = threading.Thread(target=work, name="tether-download", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        connections.shut()
        raise BoundError(url, timed_out(timeout))
    (result,) = outcome
    if isinstance(result, BaseException):
        raise result
    return result


def _get(url: str, timeout: float, connections: Connections) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "tether"})  # noqa: S310 - http(s) only
    try:
        with opener(connections).open(request, timeout=timeout) as response:
            return _body(url, response)
    except BoundError:  # a ValueError, and _body's own
        raise
    except urllib.error.HTTPError as e:
        e.close()
        raise Missing(url, f"HTTP {e.code} {_first_line(e.reason)}".rstrip()) from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise BoundError(url, timed_out(timeout)) from None
        raise BoundError(url, f"cannot reach it ({_first_line(e.reason)})") from None
    except TimeoutError:
        raise BoundError(url, timed_out(timeout)) from None
    except http.client.HTTPException as e:
        # IncompleteRead (a chunk cut short), BadStatusLine, LineTooLong, InvalidURL.
        raise BoundError(url, f"not a valid HTTP answer ({type(e).__name__}: {_first_line(e)})") from None
    except OSError as e:
        raise BoundError(url, f"cannot reach it ({_first_line(e)})") from None
    except ValueError as e:
        raise BoundError(url, f"not a URL tether can download ({_first_line(e)})") from None


def _body(url: str, response: addinfourl) -> bytes:
    """The whole body, checked against what the answer announced."""
    final = response.geturl()
    if final.split("?", 1)[0].split("#", 1)[0].endswith("/"):
        msg = f"is a folder (the server redirected to {final}); expected the URL of a bound file"
        raise BoundError(url, msg)
    length = response.headers.get("Content-Length", "")
    announced = int(length) if length.strip().isdigit() else None
    if announced is not None and announced > MAX_BYTES:
        msg = f"is larger than {_CAP} ({announced} bytes), the most tether downloads for a bound"
        raise BoundError(url, msg)
    chunks: list[bytes] = []
    total = 0
    while chunk := response.read(_CHUNK):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            raise BoundError(url, f"is larger than {_CAP}, the most tether downloads for a bound")
    if announced is not None and total < announced:
        # http.client returns a short body read in parts without complaint.
        raise BoundError(url, f"the download was cut short ({total} of the {announced} bytes announced)")
    data = b"".join(chunks)
    start = data[:64].lstrip().lower()
    if response.headers.get_content_type() == "text/html" or start.startswith((b"<!doctype html", b"<html")):
        msg = "is a web page (a folder listing, or a page showing the file); expected the raw file's URL"
        raise BoundError(url, msg)
    return data
