"""Limits before work: an ASGI layer in front of the app that refuses a request before anything
reads its body, and adds the security headers to every answer.

In order, for each HTTP request:

1. a header line longer than ``max_header`` bytes: 431; a NUL character in the URL: 400; a
   header of ``ONCE`` (who is calling, the CSRF token) sent twice: 400 (this layer would read
   the last, Starlette's request and a proxy in front the first); a URL longer than
   ``max_header``: 414; a token as a query parameter (``TOKEN_KEYS``): 400, unread;
2. under ``/api``: the caller is authenticated from the headers alone (bearer token, or the
   dashboard's session cookie plus its CSRF header for writes); no or an unknown token is a 401,
   a reader writing a 403, both without reading a byte of the body (the connection is closed);
   on a store the server cannot write (served read-only: ``Store.writable``), any write (a
   method but GET, HEAD, OPTIONS) but logging in and out is a 403 saying so; a path or method
   no route takes is not a write: after authentication it goes on to the router's 404 / 405;
3. a measurement upload while its user has ``heavy_per_user`` uploads being received or
   analysed, or the server ``heavy_workers + heavy_waiting``: a 429 before its body is read (the
   analysis's turn, HeavyWork's, comes after the body is read whole);
4. a body larger than the limit (``max_upload`` for a measurement upload, ``max_body`` for
   the rest of /api, ``max_form`` for the dashboard's forms) is a 413: at once when
   ``Content-Length`` says so, else as soon as the streamed body passes the limit, before the
   app has parsed it; a body that arrives at less than ``BODY_RATE`` on average after its first
   ``BODY_GRACE_S`` is a 408 (the client's connection is closed);
5. every answer carries a Content-Security-Policy, ``X-Content-Type-Options: nosniff``,
   ``X-Frame-Options: DENY`` and ``Referrer-Policy: same-origin``; every answer but the static
   assets (``/static``, ``/vendor``) ``Cache-Control: no-store``.

Uploads are parsed by Starlette's multipart parser, which spools each file to a temporary file
on disk beyond 1 MiB, so memory stays bounded by the limits, not by what a client sends.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fluxtrap.errors import QuotaError
from fluxtrap.store import Store
from fluxtrap.web.auth import COOKIE, SAFE_METHODS, authenticate

# headers a request may carry once: who is calling (bearer token or session cookie; uvicorn
# passes repeats on, where it merges a repeated Content-Length), the CSRF token
ONCE = frozenset({"authorization", "cookie", "x-csrf-token"})
UPLOAD = re.compile(r"/api/campaigns/[^/]+/samples/[^/]+/measurements/?")
# a server on a store it cannot write: the writes it still takes (its logins are kept in memory)
SESSIONS = frozenset({"/login", "/logout"})
READ_ONLY = (
    "this server shows its store read-only (browsing only: the server cannot write the "
    "store), so nothing can be added or changed here; nothing was changed"
)
# The dashboard's own scripts and styles only; Plotly injects <style> elements and draws into
# blob:/data: images. /docs and /redoc start Swagger UI / ReDoc with one inline script each.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "img-src 'self'", "img-src 'self' https://fastapi.tiangolo.com"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")
BODY_GRACE_S, BODY_RATE = 30.0, 8 * 2**10  # a body's first 30 s, then 8 KiB/s on average


@dataclass(frozen=True)
class Limits:
    """What one request may send: header line, body (under /api), page form and upload sizes in
    bytes; how many model fits and analyses run at once (``heavy_workers``), wait for a turn
    (``heavy_waiting``), and one user may have running or waiting (``heavy_per_user``)."""

    max_header: int = 8 * 2**10
    max_body: int = 2**20
    # the dashboard's forms (log in: a token and a return address; log out) need a few KiB; a
    # 1 MiB login form of empty fields took 0.44 s of the event loop to parse, from anyone
    max_form: int = 16 * 2**10
    max_upload: int = 50 * 2**20
    heavy_workers: int = 2
    heavy_waiting: int = 16
    heavy_per_user: int = 2


class HeavyWork:
    """A gate for the requests that fit a model or analyse a file (seconds of CPU each): at most
    ``workers`` at once and ``waiting`` more queued, ``per_user`` of them one user's; beyond
    that, or after ``patience_s`` in the queue, a 429. Without it 44 model pages at once took
    all of Starlette's 40 threads and another user's ``/api/me`` waited 35 s; now at most
    ``workers + waiting`` threads are held. Without the share per user one reader opening 18
    model pages (47 s each for a 50-parameter campaign of 200 samples, on two shared cores)
    filled the queue: everybody else's uploads and suggestions were 429 for minutes."""

    def __init__(
        self, workers: int, waiting: int, per_user: int = 2, patience_s: float = 60.0
    ) -> None:
        self._turns = threading.Semaphore(workers)
        self._lock = threading.Lock()
        self._admitted, self._limit, self._patience_s = 0, workers + waiting, patience_s
        self._per_user, self._by_user = per_user, Counter[str]()

    @contextmanager
    def turn(self, what: str, who: str) -> Iterator[None]:
        """Run the block when a turn is free (``what`` names the work in the 429; ``who``: the
        user asking)."""
        with self._lock:
            if self._admitted >= self._limit:
                raise QuotaError(f"the server is busy ({self._limit} model fits or analyses "
                                 f"running or waiting): {what} again in a minute")  # fmt: skip
            if self._by_user[who] >= self._per_user:
                raise QuotaError(
                    f"{who} has {self._by_user[who]} model fits or analyses running or waiting, "
                    f"as many as one user may: {what} again when one has finished"
                )
            self._admitted += 1
            self._by_user[who] += 1
        try:
            if not self._turns.acquire(timeout=self._patience_s):
                raise QuotaError(f"the server is busy: {what} waited {self._patience_s:g} s")
            try:
                yield
            finally:
                self._turns.release()
        finally:
            with self._lock:
                self._admitted -= 1
                self._by_user[who] -= 1
                if not self._by_user[who]:
                    del self._by_user[who]


class Guard:
    """The ASGI middleware described in the module docstring."""

    def __init__(self, app: ASGIApp, store: Store, limits: Limits) -> None:
        self.app, self.store, self.limits = app, store, limits
        self._uploading = Counter[str]()  # uploads being received or analysed, by user

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        api = path == "/api" or path.startswith("/api/")
        page = not api  # a browser's: the refusal as a page, not JSON
        headers = {}
        for name, value in scope["headers"]:
            if len(name) + len(value) > self.limits.max_header:
                why = f"a header line is longer than {self.limits.max_header} bytes"
                return await _refuse(send, 431, why, page=page)
            key = name.decode("latin-1").lower()
            if key in ONCE and key in headers:  # which one counts? a proxy may read the first
                why = f"header {key!r} was sent twice: send it once"
                return await _refuse(send, 400, why, page=page)
            headers[key] = value.decode("latin-1")
        if why := _ambiguous(headers):
            return await _refuse(send, 400, why, page=page)
        if "\x00" in path or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            return await _refuse(send, 400, "a NUL character (%00) in the URL", page=page)
        if why := _url_refused(scope, self.limits.max_header):
            return await _refuse(send, *why, page=page)
        # a path or method no route takes is the router's 404 / 405 for everybody (a reader's
        # POST to a mistyped address had been a 403 "cannot write"); the caller is still
        # authenticated first, so who has no token learns nothing beyond the 401
        routed = _routed(scope)
        if api:
            asked = method if routed else "GET"  # nothing is written: no write permission asked
            who = await run_in_threadpool(authenticate, self.store, headers, asked)
            if isinstance(who, tuple):
                return await _refuse(send, *who)
            scope.setdefault("state", {})["user"] = who
        writes = routed and method not in SAFE_METHODS and path not in SESSIONS
        if not self.store.writable and writes:
            return await _refuse(send, 403, READ_ONLY, page=page)
        upload = method == "POST" and UPLOAD.fullmatch(path) is not None
        if upload:
            limit = self.limits.max_upload
            who = scope["state"]["user"].name
            if why := self._uploads_refused(who):
                return await _refuse(send, 429, why, page=page)
        else:
            limit = self.limits.max_body if api else self.limits.max_form
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > limit:
            return await _refuse(send, 413, _too_large(limit), page=page)
        csp = (DOCS_CSP if path in ("/docs", "/redoc") else CSP).encode()
        # pages and answers hold lab data a shared browser or proxy must not keep; assets may
        cache = [] if path.startswith(("/static/", "/vendor/")) else [NO_STORE]

        received, whole = 0, False
        start = asyncio.get_running_loop().time()

        async def limited_receive() -> Message:
            nonlocal received, whole
            if whole:  # the body is in: what comes now is the client leaving, at any time
                return await receive()
            # the body at BODY_RATE on average after BODY_GRACE_S: a body trickled in (or
            # never sent) held its connection and a worker for as long as the client liked
            due = start + BODY_GRACE_S + received / BODY_RATE
            try:
                message = await asyncio.wait_for(receive(), due - asyncio.get_running_loop().time())
            except TimeoutError:
                raise HTTPException(408, _too_slow(received), {"Connection": "close"}) from None
            received += len(message.get("body", b""))
            whole = message["type"] != "http.request" or not message.get("more_body", False)
            if received > limit:  # a chunked body, or more than Content-Length announced
                raise HTTPException(413, _too_large(limit), {"Connection": "close"})
            return message

        head = method == "HEAD"  # FastAPI's routes answer GET only: HEAD was a 405 everywhere
        if head:
            scope = {**scope, "method": "GET"}

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", csp),
                    *SECURITY_HEADERS,
                    *cache,
                ]
            elif head and message["type"] == "http.response.body":  # the GET's headers, no body
                message = {**message, "body": b""}
            await send(message)

        if not upload:
            return await self.app(scope, limited_receive, secured_send)
        self._uploading[who] += 1
        try:
            await self.app(scope, limited_receive, secured_send)
        finally:
            self._uploading[who] -= 1
            if not self._uploading[who]:
                del self._uploading[who]

    def _uploads_refused(self, who: str) -> str | None:
        """Why ``who``'s upload is refused before its body is read, or None: as many uploads
        being received or analysed as the analyses HeavyWork takes, of the server
        (``heavy_workers + heavy_waiting``) or of ``who`` (``heavy_per_user``). Each had been
        read whole (up to ``max_upload``, spooled to disk) before HeavyWork's 429: six 40 MiB
        uploads of one writer at once were 240 MiB read to be refused."""
        total, limits = sum(self._uploading.values()), self.limits
        if self._uploading[who] >= limits.heavy_per_user:
            return (
                f"{who} has {self._uploading[who]} uploads being received or analysed, as many "
                "as one user may: upload the file again when one has finished"
            )
        if total >= limits.heavy_workers + limits.heavy_waiting:
            return (
                f"the server is busy ({total} uploads being received or analysed): upload the "
                "file again in a minute"
            )
        return None


def _routed(scope: Scope) -> bool:
    """Whether a route of the app (``scope["app"]``, set by Starlette before its middleware)
    takes this path with this method; True when the app is not known (refused as before)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", None)
    if routes is None:
        return True
    probe = {**scope, "method": "GET" if scope["method"] == "HEAD" else scope["method"]}
    return any(route.matches(probe)[0] is Match.FULL for route in routes)


def _too_slow(received: int) -> str:
    return (
        f"the request body arrived too slowly ({received} bytes so far): send it at "
        f"{BODY_RATE // 2**10} KiB/s or more, after the first {BODY_GRACE_S:g} s"
    )


def _too_large(limit: int) -> str:
    size = f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit / 2**10:g} KiB"
    return f"the request body is larger than {limit} bytes ({size})"


def _ambiguous(headers: Mapping[str, str]) -> str | None:
    """Why a request's headers may be read two ways, or None: the session cookie twice in the
    Cookie header (the last counted, so "rita's; alice's" was alice), or a body length given
    both as Content-Length and by chunked Transfer-Encoding (a proxy that reads the other one
    sees another request: smuggling)."""
    names = [c.split("=", 1)[0].strip() for c in headers.get("cookie", "").split(";")]
    if names.count(COOKIE) > 1:
        return f"cookie {COOKIE!r} was sent twice: send it once"
    if "content-length" in headers and "transfer-encoding" in headers:
        return "both Content-Length and Transfer-Encoding: send one"
    return None


# query parameters that carry a credential: refused unread wherever they are sent (no route
# takes one), so a token pasted into a URL is not taken for a typo or quietly ignored
TOKEN_KEYS = frozenset(
    ("token", "access_token", "api_key", "apikey", "bearer", "authorization", "session", COOKIE)
)


def _url_refused(scope: Scope, limit: int) -> tuple[int, str] | None:
    """A URL (path and query) longer than ``limit`` bytes: 414 (a 60 KB query reached the app,
    its parameters parsed and named back; beyond h11's buffer it was uvicorn's bare "Invalid
    HTTP request received."); a token sent as a query parameter: 400 saying to send it as a
    header, and that URLs are logged (it was a 401 "missing token", or a 422 for an unknown
    parameter, with no word of the leak)."""
    query = scope["query_string"]
    size = len(scope.get("raw_path") or scope["path"].encode()) + (len(query) + 1 if query else 0)
    if size > limit:
        return 414, (
            f"the URL is {size} bytes long, at most {limit} are read (its query "
            f"{len(query)}): send large inputs in a request body"
        )
    keys = {k.lower() for k, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    if found := sorted(keys & TOKEN_KEYS):
        return 400, (
            f"query parameter {found[0]!r}: a token is never read from the URL (URLs are kept "
            "in server and proxy logs and in browser history); send it as the header "
            "'Authorization: Bearer TOKEN' (the dashboard: log in at /login), and if a real "
            "token was in this URL, have it replaced: fluxtrap user rotate NAME"
        )
    return None


async def _refuse(
    send: Send, status: int, detail: str, headers: dict | None = None, page: bool = False
) -> None:
    """Answer ``status`` with fluxtrap's JSON error, or a short HTML page (``page``: off /api, a
    browser's request), and close the connection (the body, if any, is never read)."""
    if page:  # the app's error page is the app's; this layer answers before it
        body = (
            f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{status} · fluxtrap'
            f'</title><h1>{status} {HTTPStatus(status).phrase}</h1><p>{html.escape(detail)}</p><p><a href="/">fluxtrap</a>'
            "</p></html>"
        ).encode()
    else:
        body = json.dumps({"detail": detail, "error": "HTTPException"}).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    kind = b"text/html; charset=utf-8" if page else b"application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"content-security-policy", CSP.encode()),
                *SECURITY_HEADERS,
                NO_STORE,
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
