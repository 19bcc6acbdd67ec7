"""Serve step 4, server: the application on uvicorn, on one socket we bind ourselves.

Binding first means a port in use is one clear error, `--port 0` takes a free port and
the printed URL names it, and the URL is printed only once the socket listens. uvicorn's
own logging is kept to warnings and errors (no access log); Ctrl-C stops it gracefully.
"""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import threading
import webbrowser

from ..errors import SearchkitError, UsageError
from ..i18n import _


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; `SearchkitError` saying what to do when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(_("cannot listen on host {host!r} ({reason}); give an address such as "
                           "127.0.0.1 or 0.0.0.0 with --host").format(host=host, reason=exc.strerror)) from None
    family, kind, proto, __, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SearchkitError(_("port {port} on {host} is in use (another searchkit serve?); "
                                   "choose another with --port, e.g. --port {next}").format(
                port=port, host=host, next=port + 1)) from None
        if exc.errno == errno.EACCES:
            raise SearchkitError(_("no permission to listen on port {port}; use a port above 1023, "
                                   "e.g. --port 8080").format(port=port)) from None
        raise SearchkitError(_("cannot listen on {host}:{port}: {reason}").format(
            host=host, port=port, reason=exc.strerror or exc)) from None
    sock.setblocking(False)
    return sock


def url_for(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    if host in ("0.0.0.0", "::", "[::]"):
        host = "127.0.0.1" if host == "0.0.0.0" else "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def run(app, sock: socket.socket, url: str, open_browser: bool = False, announce=None) -> None:
    """Serve `app` on `sock` until Ctrl-C (or SIGTERM); returns after a graceful shutdown.
    `announce()` is called once the signals are handled, just before serving."""
    import uvicorn

    from ..query.rank import preload

    preload()  # a server scores big ranking jobs by counts from its first query on
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    # Ctrl-C and SIGTERM ask uvicorn to stop, whenever they come: before it has taken over the
    # signals (between the URL line and the first request), while it serves, and when it hands
    # a signal back to us after its own graceful shutdown. Never an exception half-way.
    def stop(signum, frame):
        server.should_exit = True

    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    if main:
        for sig in previous:
            signal.signal(sig, stop)
    try:
        if announce is not None:
            announce()
        server.run(sockets=[sock])
    finally:
        if main:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def network_url(url: str) -> str:
    """The URL as others on the network reach it: this computer's name instead of the loopback address."""
    host = socket.gethostname()
    return url.replace("127.0.0.1", host, 1).replace("[::1]", host, 1)
