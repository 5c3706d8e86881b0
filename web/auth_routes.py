"""Login and logout as plain HTTP routes, so the session cookie can be HttpOnly.

A Streamlit script cannot set an HttpOnly cookie; these Starlette routes run in the same
server (``st.App`` in ``asgi.py``), verify the password with ``services.access.auth`` and set a
signed, HttpOnly, SameSite=Strict cookie that the script reads through ``st.context.cookies``.
"""

from __future__ import annotations

import html
from urllib.parse import quote

from sqlmodel import Session
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from services.access.auth import SESSION_COOKIE, authenticate, make_session_token, read_session_token
from services.runtime import get_runtime

LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
# Paths served without a login: Streamlit's own assets and endpoints, the auth routes, and the
# JSON API (it authenticates every request with its own bearer token and answers 401 in JSON).
_OPEN_PREFIXES = ("/auth/", "/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/api/")


# The one start-up of the process, shared with the Streamlit script (ui/runtime.py) and the API.
runtime = get_runtime


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, never '//host' or 'http://…' (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(*, next_path: str, username: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    error_html = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập — Giao việc</title>
<style>
 body {{ font-family: "Source Sans Pro", "Segoe UI", Roboto, Arial, sans-serif; background:#f3f6fa; margin:0; }}
 main {{ max-width: 380px; margin: 10vh auto; background:#fff; padding: 2rem 2.2rem; border-radius: 10px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
 h1 {{ font-size: 1.5rem; margin: 0 0 .2rem; color:#b71c1c; }}
 p.sub {{ margin: 0 0 1.4rem; color:#555; font-size:.95rem; }}
 label {{ display:block; font-weight:600; margin: .9rem 0 .3rem; }}
 input {{ width:100%; box-sizing:border-box; padding:.6rem .7rem; font-size:1rem; border:1px solid #bbb;
         border-radius:6px; }}
 button {{ margin-top:1.3rem; width:100%; padding:.7rem; font-size:1rem; background:#b71c1c; color:#fff; border:0;
          border-radius:6px; cursor:pointer; }}
 .error {{ background:#fdecea; color:#8a1c1c; padding:.6rem .8rem; border-radius:6px; }}
</style></head>
<body><main>
<h1>Giao việc</h1>
<p class="sub">Phần mềm quản lý giao việc — UBND tỉnh {html.escape(runtime().config.org.province)}</p>
{error_html}
<form method="post" action="{LOGIN_PATH}">
 <input type="hidden" name="next" value="{html.escape(next_path)}">
 <label for="username">Tên đăng nhập</label>
 <input id="username" name="username" autocomplete="username" value="{html.escape(username)}" required autofocus>
 <label for="password">Mật khẩu</label>
 <input id="password" name="password" type="password" autocomplete="current-password" required>
 <button type="submit">Đăng nhập</button>
</form>
</main></body></html>"""
    return HTMLResponse(body, status_code=status)


async def login(request: Request) -> Response:
    if request.method == "GET":
        return _login_page(next_path=_safe_next(request.query_params.get("next")))
    form = await request.form()
    username = str(form.get("username", ""))
    password = str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "/")))
    rt = runtime()
    with Session(rt.engine) as session:
        user = authenticate(session=session, username=username, password=password)
    if user is None or user.id is None:
        return _login_page(
            next_path=next_path, username=username, error="Tên đăng nhập hoặc mật khẩu không đúng.", status=401
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        make_session_token(user_id=user.id, secret=rt.settings.resolved_secret_key()),
        max_age=rt.settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=rt.settings.cookie_secure,
        path="/",
    )
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


class LoginRedirectMiddleware(BaseHTTPMiddleware):
    """Send a page navigation without a valid session cookie to the login form."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        is_page = (
            request.method == "GET"
            and not path.startswith(_OPEN_PREFIXES)
            and "." not in path.rsplit("/", 1)[-1]
            and "text/html" in request.headers.get("accept", "")
        )
        if is_page:
            rt = runtime()
            uid = read_session_token(
                token=request.cookies.get(SESSION_COOKIE),
                secret=rt.settings.resolved_secret_key(),
                max_age_seconds=rt.settings.session_hours * 3600,
            )
            if uid is None:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
        return await call_next(request)


routes = [
    Route(LOGIN_PATH, login, methods=["GET", "POST"]),
    Route(LOGOUT_PATH, logout, methods=["GET", "POST"]),
]
