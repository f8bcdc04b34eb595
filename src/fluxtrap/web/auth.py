"""Who is calling: bearer tokens for scripts, an HttpOnly session cookie for the dashboard.

Tokens are created by ``fluxtrap user add NAME --role writer|reader`` and stored only as hashes;
``Store.user_by_token`` hashes the presented token and looks it up. The dashboard's login page
checks the token and starts a server-side session (``Store.start_session``): the
``fluxtrap_session`` cookie carries the session's random id, never the token (HttpOnly: scripts
cannot read it; SameSite=Strict: other sites' pages cannot send it). Logging out, revoking the
user or giving them a new token deletes the session, and a copied cookie is refused from then
on. A write made with the cookie must also carry the ``X-CSRF-Token`` header, which only the
dashboard's own pages know (:func:`csrf_token`).

:func:`authenticate` runs in :mod:`.limits` before any body is read; the route dependencies
``Reader`` and ``Writer`` hand its answer to the routes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.requests import cookie_parser

from fluxtrap.errors import FluxtrapError
from fluxtrap.store import PrivilegeError, Store, UserRecord
from fluxtrap.store.store import MAX_TOKEN

COOKIE = "fluxtrap_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="a token from `fluxtrap user add`")
ASK_FOR_TOKEN = {"WWW-Authenticate": "Bearer"}
log = logging.getLogger("fluxtrap.web")


def store_of(request: Request) -> Store:
    return request.app.state.store


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: a one-way function of its id, so a page can show it without
    revealing the id, and no other site can know it."""
    return hashlib.sha256(b"fluxtrap csrf\0" + session_id.encode()).hexdigest()


def store_failed(err: FluxtrapError, said: str | None = None) -> str:
    """What a client is told when the database fails: logged here in full, answered without
    the store's URL, path or host (``said``: a message free of them, a ``PrivilegeError``'s)."""
    log.error("the store failed: %s", err)
    return said or "the database did not answer: try again in a while (the server's log says why)"


def user_from_session(store: Store, session_id: str | None) -> UserRecord | None:
    """The user logged in with the session cookie's ``session_id``, or None for no cookie or an
    unknown one (logged out, expired, its user revoked)."""
    return store.user_by_session(session_id) if session_id else None


def _missing(authorization: str) -> str:
    """Why no token was read, saying what the Authorization header held instead (not its
    credentials): "Token abc", "abc" or "Bearer:" had been told only "missing token", as if
    none were sent."""
    scheme, _, rest = authorization.strip().partition(" ")
    ask = "send 'Authorization: Bearer <token>' (create one with `fluxtrap user add`)"
    if not scheme:
        return f"missing token: {ask}"
    if scheme.lower() == "bearer":
        return f"missing token: the Authorization header says Bearer but holds no token: {ask}"
    if not rest.strip():  # one word: the token itself without its scheme, maybe; not echoed
        return f"missing token: the Authorization header holds one word, without the scheme: {ask}"
    shown = repr(scheme[:20]) if scheme.isascii() and scheme.isprintable() else "unknown"
    return f"missing token: the Authorization header's scheme is {shown}, not Bearer: {ask}"


def authenticate(
    store: Store, headers: Mapping[str, str], method: str
) -> UserRecord | tuple[int, str, dict[str, str]]:
    """The caller of an API request from its (lower-case) headers alone, or the refusal
    ``(status, detail, headers)``: 401 without a known token or session, 403 for a reader
    writing or a cookie write without the CSRF header, 503 if the store cannot be asked."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    via_cookie = not (scheme.lower() == "bearer" and credentials.strip())
    secret = (
        cookie_parser(headers.get("cookie", "")).get(COOKIE) if via_cookie else credentials.strip()
    )
    if not secret:
        return 401, _missing(headers.get("authorization", "")), ASK_FOR_TOKEN
    if not via_cookie and len(secret) > MAX_TOKEN:  # refused unhashed: no token is longer
        return 401, f"unknown token: {len(secret)} characters, over {MAX_TOKEN}", ASK_FOR_TOKEN
    try:
        user = store.user_by_session(secret) if via_cookie else store.user_by_token(secret)
    except FluxtrapError as err:  # the server cannot tell who is calling: its trouble, a 503
        said = str(err) if isinstance(err, PrivilegeError) else None
        return 503, store_failed(err, said), {}
    if user is None:
        unknown = (
            "unknown session (logged out, expired or revoked?): log in again at /login"
            if via_cookie
            else "unknown token (revoked or expired?)"
        )
        return 401, unknown, ASK_FOR_TOKEN
    if method not in SAFE_METHODS:
        if user.role == "reader":
            return 403, f"user {user.name!r} is a reader and cannot write", {}
        if via_cookie and not hmac.compare_digest(
            headers.get(CSRF_HEADER, "").encode(), csrf_token(secret).encode()
        ):
            return 403, "a write with the session cookie needs the page's X-CSRF-Token header", {}
    return user


def current_user(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> UserRecord:
    """The caller, as :func:`authenticate` found them before the body was read (``creds`` only
    declares the bearer scheme in the OpenAPI schema)."""
    user = getattr(request.state, "user", None)
    if user is None:  # not behind the Guard middleware: refuse rather than guess
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "not authenticated", ASK_FOR_TOKEN)
    return user


def writer(user: Annotated[UserRecord, Depends(current_user)]) -> UserRecord:
    """The caller, who must be a writer or an admin (403 for readers)."""
    if user.role == "reader":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"user {user.name!r} is a reader and cannot write"
        )
    return user


def admin(user: Annotated[UserRecord, Depends(current_user)]) -> UserRecord:
    """The caller, who must be an admin (403 for readers and writers)."""
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"user {user.name!r} is not an admin")
    return user


Reader = Annotated[UserRecord, Depends(current_user)]
Writer = Annotated[UserRecord, Depends(writer)]
Admin = Annotated[UserRecord, Depends(admin)]
