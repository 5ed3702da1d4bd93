"""Signed HTTP: every request carries the caller's id, a timestamp, a nonce and an Ed25519 signature."""
import http.client
import json
import socket
import threading
import time
from urllib.parse import urlsplit

from .errors import ColoniesConnectionError, ColoniesError
from .routes import query_string
from .signing import new_nonce, now_ms, sha256_hex, signed_headers

API_PREFIX = "/api/v1"

# A kept-alive connection the server has closed fails like this on its next use: sent again once, on a new one.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest)


class Cancelled(Exception):
    """The request was cancelled from another thread (an executor stopping its long-poll)."""


class Cancel:
    """Cancels a request in flight from another thread by shutting its socket down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._conn = None
        self.cancelled = False

    def cancel(self):
        with self._lock:
            self.cancelled = True
            conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _attach(self, conn):
        with self._lock:
            self._conn = conn
            return not self.cancelled


def to_json(body):
    """The request body as sent: compact JSON, UTF-8; NaN and infinities refused (they are not JSON)."""
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as err:
        raise ColoniesError("VALIDATION_FAILED", f"the request body is not JSON: {err}") from None


class Transport:
    """One server; a kept-alive connection per thread (http.client connections are not thread-safe)."""

    def __init__(self, url, timeout=60.0, unavailable_retry=30.0):
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a server URL: {url!r} (expected http://host:port or https://host:port)")
        self.url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._base_path = parts.path.rstrip("/")
        self.timeout = timeout
        # How long a read (GET) keeps being retried while the server answers 503 UNAVAILABLE; writes are
        # not retried: whether one that met a lost database was applied cannot be told.
        self.unavailable_retry = unavailable_retry
        self._local = threading.local()
        # Every thread's connection, so that close() can end them all.
        self._conns = set()
        self._conns_lock = threading.Lock()

    def request(self, signer, method, path, body=None, query=None, timeout=None, cancel=None):
        """Sends a signed request to /api/v1 + path; returns the decoded JSON answer (None for an empty one)."""
        until = time.monotonic() + (self.unavailable_retry if method == "GET" else 0)
        while True:
            try:
                return self._request_once(signer, method, path, body, query, timeout, cancel)
            except ColoniesError as err:
                if err.code != "UNAVAILABLE" or (cancel is not None and cancel.cancelled):
                    raise
                wait = err.retry_after if err.retry_after is not None else 1.0
                if time.monotonic() + wait > until:
                    raise
                time.sleep(wait)

    def _request_once(self, signer, method, path, body, query, timeout, cancel):
        qs = query_string(query) if query else ""
        path_with_query = API_PREFIX + path + (f"?{qs}" if qs else "")
        payload = b"" if body is None else to_json(body)
        for fresh in (False, True):
            headers = {"content-type": "application/json", "accept": "application/json"}
            headers.update(signed_headers(signer, method, path_with_query, sha256_hex(payload), now_ms(), new_nonce()))
            conn, reused = self._connection(fresh, timeout)
            try:
                if cancel is not None and not cancel._attach(conn):
                    raise Cancelled()
                conn.request(method, self._base_path + path_with_query, body=payload or None, headers=headers)
                res = conn.getresponse()
                status, text = res.status, res.read().decode("utf-8", errors="replace")
                retry_after = res.getheader("retry-after")
                break
            except Cancelled:
                self._drop()
                raise
            except _STALE as err:
                self._drop()
                if cancel is not None and cancel.cancelled:
                    raise Cancelled() from None
                if reused and not fresh:
                    continue
                raise self._unreachable(err) from None
            except (OSError, http.client.HTTPException) as err:
                self._drop()
                if cancel is not None and cancel.cancelled:
                    raise Cancelled() from None
                raise self._unreachable(err) from None
            finally:
                if cancel is not None:
                    cancel._attach(None)
        return _answer(status, text, retry_after)

    def _connection(self, fresh, timeout):
        """This thread's connection (new when asked or when there is none) and whether it was used before."""
        conn = getattr(self._local, "conn", None)
        if fresh or conn is None:
            self._drop()
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=timeout or self.timeout)
            self._local.conn = conn
            with self._conns_lock:
                self._conns.add(conn)
            return conn, False
        conn.timeout = timeout or self.timeout
        if conn.sock is not None:
            conn.sock.settimeout(conn.timeout)
        return conn, True

    def _drop(self):
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._conns_lock:
                self._conns.discard(conn)
            conn.close()

    def close(self):
        """Closes every thread's kept-alive connection (a later request opens a new one)."""
        with self._conns_lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            conn.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _unreachable(self, err):
        what = "no answer in time" if isinstance(err, socket.timeout) else (type(err).__name__ + (f" {err}" if str(err) else ""))
        return ColoniesConnectionError(f"cannot reach the Colonies server at {self.url}: {what}")


def _answer(status, text, retry_after):
    ok = 200 <= status < 300
    if ok and (status == 204 or text == ""):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise ColoniesError("BAD_RESPONSE", f"server answered {status} with a body that is not JSON", status) from None
    if ok:
        return data
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        raise ColoniesError(error["code"], str(error.get("message", "")), status, error.get("details"), _seconds(retry_after))
    raise ColoniesError("BAD_RESPONSE", f"server answered {status}", status, data)


def _seconds(header):
    """Retry-After in seconds (the only form the server sends), capped at a minute."""
    try:
        s = float(header)
    except (TypeError, ValueError):
        return None
    return min(s, 60.0) if s >= 0 else None
