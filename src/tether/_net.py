"""HTTP(S) connections whose sockets can be shut down from another thread, so that a
request can be bounded from its start to its last byte.

urllib's ``timeout`` bounds each socket operation, so a server that sends a byte every
half second keeps a request going for ever. :func:`opener` builds a urllib opener whose
connections record their sockets in a :class:`Connections`; a watchdog (the caller's)
calls :meth:`Connections.shut` at the deadline, which ends any read in progress.
Proxies (``*_proxy``, ``no_proxy``) are urllib's; certificates come from
``SSL_CERT_FILE`` when it is set, else from the system's store.

Shared by remote bounds (:mod:`tether.sources.remote`) and the OSV client
(:mod:`tether.audit.client`); imported only by them: ``http.client`` and ``ssl`` are slow
to import.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import socket
import ssl
import threading
import urllib.request
from typing import Any

__all__ = ["Connections", "first_line", "opener"]


class Connections:
    """The sockets of one request's connections, to shut down at its deadline."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock)
            if self.closed:  # made after the deadline passed: shut at once
                self._shut(sock)

    def shut(self) -> None:
        with self.lock:
            self.closed = True
            for sock in self.sockets:
                self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        # socket.socket's own method, also for an SSL socket: its fd is shut down under
        # the reading thread, whose read then ends.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Tracked(http.client.HTTPConnection):
    """A connection whose socket is recorded once made, so that the deadline can shut it."""

    def __init__(self, *args: Any, connections: Connections, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = connections

    def connect(self) -> None:
        super().connect()
        self._connections.add(self.sock)


class _HTTPConnection(_Tracked):
    pass


class _HTTPSConnection(_Tracked, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, connections: Connections) -> None:
        super().__init__()
        self._connections = connections

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connections = self._connections

        def connection(host: str, /, **kwargs: Any) -> http.client.HTTPConnection:
            return _HTTPConnection(host, connections=connections, **kwargs)

        return self.do_open(connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, connections: Connections, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._connections = connections
        self._ssl_context = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connections = self._connections

        def connection(host: str, /, **kwargs: Any) -> http.client.HTTPConnection:
            return _HTTPSConnection(host, connections=connections, **kwargs)

        return self.do_open(connection, req, context=self._ssl_context)


@functools.lru_cache(maxsize=4)
def _context(cafile: str | None) -> ssl.SSLContext:
    # Loading the certificate store takes tens of milliseconds: once per file, not per
    # request (an SSLContext may wrap sockets from many threads).
    return ssl.create_default_context(cafile=cafile)


def ssl_context(cafile: str | None) -> ssl.SSLContext:
    """The context :func:`opener` uses for *cafile* (``SSL_CERT_FILE``), loaded once.

    :raises OSError: when *cafile* cannot be read or holds no certificate.
    """
    return _context(cafile)


def opener(connections: Connections) -> urllib.request.OpenerDirector:
    """A urllib opener (proxies from the environment) whose connections go to *connections*."""
    context = _context(os.environ.get("SSL_CERT_FILE") or None)
    return urllib.request.build_opener(_HTTPHandler(connections), _HTTPSHandler(connections, context))


def first_line(what: object) -> str:
    """The first line of an error's text (exceptions from the network may hold several)."""
    text = str(what)
    return text.splitlines()[0] if text else ""
