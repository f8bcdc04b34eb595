"""The FastAPI application: REST API (:mod:`.api`), dashboard pages (:mod:`.pages`), static files.

```python
from fluxtrap.web import create_app

app = create_app("sqlite:///lab.db")  # or a Store; serve with uvicorn
```

A store the server cannot write (read-only SQLite, a PostgreSQL role that may only read) is
served read-only: every page says so, writes are 403 (:mod:`.limits`), no jobs run, and
dashboard logins are kept in the server's memory (``Store.start_session``); a role granted its
privileges meanwhile is seen within ``Store.RECHECK_S``, without a restart.

Errors: ``FluxtrapError`` subclasses become JSON ``{"detail": message, "error": class name}`` with
403 (another user's job, a write the database refuses its role), 404 (not found), 409 (results asked of a failed simulation, a finished
job cancelled), 422 (a value, unit or file that breaks a rule), 429 (a job beyond the user's or
the server's queue share) or 503 (the database failed);
malformed requests get FastAPI's 422 listing each bad field.
"""

from __future__ import annotations

import gc
import math
import os
import re
from collections.abc import Iterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from fluxtrap import __version__
from fluxtrap.errors import ConflictError, FluxtrapError, NotFoundError, QuotaError, StoreError
from fluxtrap.store import PrivilegeError, Store
from fluxtrap.web import api, pages
from fluxtrap.web.auth import store_failed
from fluxtrap.web.jobs import Jobs, JobSettings, NotAllowedError, NotFinishedError
from fluxtrap.web.limits import Guard, HeavyWork, Limits
from fluxtrap.web.plots import visible

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# errors a 422 lists: 50 000 parameters each a {} (a 0.7 MB body) were 100 000 errors, a 12 MB
# answer encoded for 2.8 s in the event loop, where every other request waited
MAX_ERRORS = 20
MAX_MESSAGE = 1000  # characters of one error's message (a NUL's quoted a 900 kB key whole)
STATUS = {
    PrivilegeError: 403,  # before StoreError, its base
    StoreError: 503,
    NotAllowedError: 403,
    NotFoundError: 404,
    NotFinishedError: 409,
    ConflictError: 409,
    QuotaError: 429,
}


def create_app(
    store: Store | str | os.PathLike[str] | None = None,
    *,
    jobs: JobSettings | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """The web app on ``store`` (a ``Store`` or a URL/path; default ``$FLUXTRAP_DB`` or
    ./fluxtrap.db), refusing requests beyond ``limits`` (default ``Limits()``) before reading
    them (:mod:`.limits`), running simulation jobs under ``jobs`` (default ``JobSettings()``;
    the workers start with the app's lifespan)."""
    limits = limits or Limits()
    store = store if isinstance(store, Store) else Store(store)
    queue = Jobs(store, jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # what is loaded by now lives as long as the server: out of the collector's full passes
        # (a JSON body of 400 000 empty lists took 0.4 s to parse, 0.05 s with them frozen)
        gc.freeze()
        # a store opened read-only runs no jobs (they are stored as they run); a PostgreSQL role
        # that may not write yet has workers waiting for a GRANT (Store.RECHECK_S), saying so
        if not store.read_only:
            queue.start()
        try:
            yield
        finally:
            queue.shutdown()
            gc.unfreeze()

    app = FastAPIOffline(  # /docs and /redoc from bundled assets, not a CDN (labs may be offline)
        title="fluxtrap",
        version=__version__,
        lifespan=lifespan,
        description="A lab-shared sintering campaign: samples, measurements (Jc(B) derived on upload), "
        "Bayesian-optimization suggestions and trapped-field simulations. Authenticate with "
        "`Authorization: Bearer <token>` (tokens from `fluxtrap user add NAME --role writer|reader`).",
    )
    app.state.store = store
    app.state.jobs = queue
    app.state.limits = limits
    app.state.heavy = HeavyWork(limits.heavy_workers, limits.heavy_waiting, limits.heavy_per_user)
    app.add_middleware(Guard, store=store, limits=limits)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:  # the plotly package's own bundle: no CDN, works offline
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.exception_handler(FluxtrapError)
    async def fluxtrap_error(request: Request, err: FluxtrapError) -> Response:
        code = next((c for cls, c in STATUS.items() if isinstance(err, cls)), 422)
        if (
            type(err) is FluxtrapError
        ):  # the server's own trouble (a campaign busy), not the caller's
            code = 503
        detail = str(err)
        if isinstance(err, StoreError):
            detail = store_failed(err, detail if isinstance(err, PrivilegeError) else None)
        return _error(request, code, detail, type(err).__name__)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> Response:
        """FastAPI's 422 listing each bad field, with non-finite inputs (``1e999``, ``NaN``, which
        JSON cannot carry) shown as text instead of failing the answer with a 500, and long
        inputs cut short (a refused 60 000-key body is not echoed back whole), and at most
        ``MAX_ERRORS`` of them; off ``/api``, the error page naming each field."""
        found = err.errors()
        errors = [_explained(e) for e in found[:MAX_ERRORS]]
        if (more := len(found) - MAX_ERRORS) > 0:
            msg = f"and {more} more errors, not listed (the first {MAX_ERRORS} are)"
            errors.append({"type": "too_many_errors", "loc": [], "msg": msg})
        if not request.url.path.startswith("/api"):
            where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
            return _error(request, 422, where, "RequestValidationError")
        return JSONResponse({"detail": _json_safe(jsonable_encoder(errors))}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> Response:
        detail = str(err.detail)
        # FastAPI's bare "error parsing" (its cause), Starlette's "Invalid multipart data." (the
        # MultiPartException it was raised while handling)
        form = err.__context__ if isinstance(err.__context__, MultiPartException) else None
        if err.status_code == 400 and (cause := err.__cause__ or form) is not None:
            detail = f"the body cannot be read: {_unreadable(cause)}"
        headers = err.headers
        if err.status_code == 404 and detail == HTTPStatus.NOT_FOUND.phrase:  # the router's miss
            # it said "Not Found" only, like a missing sample's but without a word of what
            where = "the API's addresses are listed at /docs" if _api(request) else "see /"
            detail = f"no such address: {request.method} {_short(request.url.path)} ({where})"
        if err.status_code == 405 and (allow := _allowed(request)):
            # Starlette said only "Method Not Allowed", and its Allow header named the methods of
            # the first route on the path only (PUT /api/campaigns: "GET", not "GET, POST")
            headers = {**(headers or {}), "Allow": allow}
            path = _short(request.url.path)
            detail = f"{request.method} is not allowed on {path}: it takes {allow}"
        return _error(request, err.status_code, detail, type(err).__name__, headers)

    app.add_exception_handler(pages.LoginRequired, pages.login_redirect)

    return app


def _allowed(request: Request) -> str:
    """The methods the routes on the request's path take (HEAD with GET: limits.Guard answers
    it), as an Allow header lists them."""
    methods: set[str] = set()
    for route in _routes(request.app.router.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.scope["path"]):
            methods |= getattr(route, "methods", None) or set()
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def _routes(routes: list) -> Iterator:
    """Every route of ``routes``, those of included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else (route,)


def _said(error: dict, msg: str) -> dict:
    """``error`` with ``msg`` instead of FastAPI's, and without the input it would echo."""
    return {k: v for k, v in error.items() if k not in ("input", "ctx")} | {"msg": msg}


def _explained(error: dict) -> dict:
    """One of FastAPI's validation errors with its input and the keys in its location cut short
    (a refused 100 000-character key was echoed whole in ``loc``), a body sent without a JSON
    Content-Type, a file part sent without a file name (a browser's form with no file chosen;
    Starlette reads it as text) and a text field sent as a file each said so, without echoing
    its content."""
    error = {**error, "loc": [_short(k) for k in error.get("loc", ())]}
    error["msg"] = _short(str(error.get("msg", "")), MAX_MESSAGE)  # a validator's may quote input
    if error["loc"] == ["body"] and isinstance(error.get("input"), bytes):
        # FastAPI reads a body as JSON only under a JSON Content-Type, else hands on its bytes:
        # "Input should be a valid dictionary" of a body that is valid JSON said nothing of why
        msg = "the body was not read as JSON: send it with Content-Type: application/json"
        return _said(error, msg)
    if error.get("type") == "json_invalid":  # FastAPI said "JSON decode error", the reason in
        # its ctx and the position a bare number in loc, and echoed an empty object as the input
        why, at = (error.get("ctx") or {}).get("error", ""), error["loc"][-1]
        where = f" at character {at} (from 0)" if isinstance(at, int) else ""
        return _said(error, f"the body is not valid JSON: {why or 'malformed'}{where}")
    if isinstance(error.get("input"), UploadFile):  # a text field sent as a file part: FastAPI
        # quoted the UploadFile's attributes (_max_size, _rolled, its headers) back as the input
        msg = f"a file part ({_short(error['input'].filename, 60)!r}): send it as a text field"
        return _said(error, msg)
    if "Expected UploadFile" in str(error.get("msg", "")):
        msg = "no file: the part has no file name (no file was chosen, or it was sent as text)"
        return _said(error, msg)
    return {**error, "input": _short(error["input"])} if "input" in error else error


def _unreadable(cause: BaseException) -> str:
    """Why a request body could not be parsed (FastAPI answers only "There was an error parsing
    the body")."""
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"it is not UTF-8 text (byte 0x{cause.object[cause.start]:02x} at position "
            f"{cause.start}; JSON is sent as UTF-8)"
        )
    if isinstance(cause, RecursionError):
        return "its JSON is nested too deeply"
    if isinstance(cause, ValueError) and (
        digits := re.search(r"value has (\d+) digits", str(cause))
    ):
        # Python's own words advised the client to call sys.set_int_max_str_digits()
        return (
            f"a number in it has {digits[1]} digits, beyond the 4300 a JSON integer may have "
            "(and far beyond a float's 309)"
        )
    if isinstance(cause, MultiPartException) and cause.__cause__ is not None:
        # Starlette says only "Invalid multipart data."; python-multipart said what: a part's
        # header line (its file name, say) over 4 KiB is "Maximum header size exceeded"
        why = _short(str(cause.__cause__))
        if "header size" in why:
            why += " (a part's header line, its file name in it, is too long: name the file in "
            why += "at most 255 characters)"
        return f"its multipart form is malformed: {why}"
    return _short(str(cause)) or type(cause).__name__


def _short(value, limit: int = 200):
    """``value`` if its text is at most ``limit`` characters without reordering or control
    characters, else that text with them escaped (``plots.visible``) and cut to ``limit``."""
    text = repr(value) if not isinstance(value, str) else value
    shown = visible(text)
    if len(text) <= limit:
        return value if shown == text else shown
    return shown[:limit] + f"... ({len(text)} characters)"


def _json_safe(value):
    """``value`` with every non-finite float replaced by its text (``"inf"``, ``"nan"``) and every
    lone surrogate (``"\\ud800"`` in a JSON body: no UTF-8 can carry it) by its escape text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _error(request: Request, code: int, detail: str, error: str, headers=None) -> Response:
    """JSON for the API and for a request that sent JSON (a script posting to /login), an HTML
    page for the dashboard headed by the status's reason phrase ("404 Not Found": a page headed
    "404: HTTPException" named a Python class to a person)."""
    detail = _json_safe(detail)  # it may quote the request's text
    sent = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if request.url.path.startswith("/api") or sent == "application/json":
        return JSONResponse({"detail": detail, "error": error}, status_code=code, headers=headers)
    return pages.templates.TemplateResponse(
        request,
        "error.html",
        {"user": None, "error": f"{code} {HTTPStatus(code).phrase}", "detail": detail},
        status_code=code,
        headers=headers,  # a 405's Allow (the page had none)
    )
