"""Who calls: the bearer token of ``Authorization``, turned into the account's ``Actor``; and how often.

Only ``Authorization: Bearer gv_…`` is accepted. The login cookie of the pages is not: a page
that a user left open must not be able to drive the API (no CSRF surface). The token's account
gets exactly the permissions it has in the pages (``services.access.tokens.actor_for_token``
builds the same ``Actor``). Each token may make ``api_rate_limit`` requests per
``api_rate_window_seconds`` (a fixed window per token, kept in this process's memory).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from services.access.auth import SESSION_COOKIE
from services.access.permissions import Actor
from services.access.tokens import actor_for_token, hash_secret
from services.infra.errors import ServiceError
from services.runtime import Runtime


class Unauthenticated(ServiceError):
    """No usable token: missing, unknown, revoked or expired, or only the pages' cookie."""

    code = "unauthenticated"
    status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class RateLimited(ServiceError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Khóa API đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau {retry_after} giây.")
        self.headers = {"Retry-After": str(retry_after)}


class FixedWindowLimiter:
    """At most ``limit`` hits per key in each window of ``window`` seconds from the key's first hit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, hits in it)

    def hit(self, key: str, *, limit: int, window: int) -> int | None:
        """Count one hit; None when allowed, else the whole seconds until the window ends (>= 1)."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= window:
                start, count = now, 0
            if count >= limit:
                return max(1, math.ceil(start + window - now))
            self._windows[key] = (start, count + 1)
            if len(self._windows) > 10_000:  # forget finished windows now and then
                self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window}
            return None


_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="Khóa API",
    description="Khóa API tạo trên trang “Khóa API” của ứng dụng: `Authorization: Bearer gv_…`.",
)


def runtime_of(request: Request) -> Runtime:
    """The process's runtime, from the provider ``web.api.app`` gave the app."""
    provider: Callable[[], Runtime] = request.app.state.runtime
    return provider()


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def db(rt: RuntimeDep) -> Iterator[Session]:
    """One session per request; the services commit themselves."""
    with Session(rt.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(db)]


def current_actor(
    request: Request,
    rt: RuntimeDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """The token's account as an ``Actor``, or 401; 429 once the token is over its rate."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials.strip():
        if SESSION_COOKIE in request.cookies:
            raise Unauthenticated(
                "API không nhận phiên đăng nhập của trang web. "
                "Hãy gửi khóa API trong tiêu đề Authorization: Bearer <khóa>."
            )
        raise Unauthenticated("Thiếu khóa API. Hãy gửi tiêu đề Authorization: Bearer <khóa>.")
    secret = credentials.credentials.strip()
    actor = actor_for_token(session=session, config=rt.config, secret=secret)
    if actor is None:
        raise Unauthenticated("Khóa API không hợp lệ, đã bị thu hồi hoặc đã hết hạn.")
    limiter: FixedWindowLimiter = request.app.state.limiter
    wait = limiter.hit(
        hash_secret(secret), limit=rt.settings.api_rate_limit, window=rt.settings.api_rate_window_seconds
    )
    if wait is not None:
        raise RateLimited(wait)
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
