"""Bearer-token auth: every API call names its user; readers read, writers also write.

Tokens are created by ``fluxtrap user add NAME --role writer|reader`` and stored only as hashes;
``Store.user_by_token`` hashes the presented token and looks it up. The dashboard's pages read the
same token from the ``fluxtrap_token`` cookie (set by the login page); the pages only read, every
write goes through the API with the ``Authorization: Bearer`` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fluxtrap.store import Store, UserRecord

COOKIE = "fluxtrap_token"
bearer = HTTPBearer(auto_error=False, description="a token from `fluxtrap user add`")


def store_of(request: Request) -> Store:
    return request.app.state.store


def user_from_token(store: Store, token: str | None) -> UserRecord | None:
    """The user holding ``token``, or None for no token or an unknown one."""
    return store.user_by_token(token) if token else None


def current_user(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> UserRecord:
    """The caller; 401 without a token or with one that belongs to nobody."""
    if creds is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing token: send 'Authorization: Bearer <token>' (create one with `fluxtrap user add`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = user_from_token(store_of(request), creds.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


def writer(user: Annotated[UserRecord, Depends(current_user)]) -> UserRecord:
    """The caller, who must have the writer role (403 for readers)."""
    if user.role != "writer":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"user {user.name!r} is a reader and cannot write"
        )
    return user


Reader = Annotated[UserRecord, Depends(current_user)]
Writer = Annotated[UserRecord, Depends(writer)]
