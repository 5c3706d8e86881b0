"""``GET /tep/{id}``: download an attached file, for whoever may see its task.

A plain Starlette route in the same server (``asgi.py``), so a file is streamed from disk to the
browser instead of travelling through the page's websocket. The login is the pages' own: the
HttpOnly session cookie, checked against its ``auth_session`` row exactly as the login redirect
does (``web.auth_routes``), then the actor is built and ``services.attachments.open_attachment``
decides (``can_view_task``) and logs the download. Anyone who may not see the file, a file that
does not exist and a request without a valid session all get the same 404: nobody learns that a
file with that number exists. A page navigation without a session never reaches here: the login
redirect sends it to the login form, which comes back to the file.

The answer is always a download (``Content-Disposition: attachment``, with the file name as the
uploader gave it, RFC 6266/5987-encoded, and a plain ASCII fallback), with the media type found
from the content at upload, ``X-Content-Type-Options: nosniff`` (a browser never reinterprets a
file as HTML) and ``Cache-Control: private, no-store`` (no proxy or shared cache keeps a copy).
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from services.access.auth import SESSION_COOKIE
from services.access.permissions import build_actor
from services.attachments import DOWNLOAD_PREFIX, NOT_FOUND, StoredFile, open_attachment
from services.infra.errors import NotFound
from web import auth_routes

_LARGEST_ID = 2**31 - 1  # an INTEGER column: a larger number is no file (and no database error)
_UNSAFE = re.compile(r'[^A-Za-z0-9._ ()-]+')


def ascii_name(name: str) -> str:
    """The file name without accents or anything a header's quoted string could not carry."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    cleaned = _UNSAFE.sub("_", plain).strip(" .") or "tep"
    return cleaned[:150]


def content_disposition(name: str) -> str:
    """``attachment; filename="Bao cao.pdf"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf``: every
    browser saves it under the Vietnamese name, an old one under the plain one."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _open(token: str | None, attachment_id: int, ip: str) -> StoredFile | None:
    """The file for the session's user, logged; None for anyone who may not have it."""
    user_id = auth_routes._cookie_user(token, ip) if token else None
    if user_id is None:
        return None
    rt = auth_routes.runtime()
    with Session(rt.engine, expire_on_commit=False) as session:
        actor = build_actor(session=session, config=rt.config, user_id=user_id)
        if actor is None:
            return None
        try:
            return open_attachment(
                session=session, actor=actor, attachment_id=attachment_id, now=auth_routes.clock(), ip=ip
            )
        except NotFound:
            return None


def _not_found(attachment_id: int) -> HTMLResponse:
    text = html.escape(NOT_FOUND.format(id=attachment_id))
    return HTMLResponse(
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Không tìm thấy tệp — Giao việc</title>'
        f'</head><body style="font-family: sans-serif; margin: 3rem"><p>{text}</p>'
        '<p><a href="/">Về trang chính</a></p></body></html>',
        status_code=404,
        headers={"Cache-Control": "no-store"},
    )


async def download(request: Request) -> Response:
    attachment_id: int = request.path_params["attachment_id"]
    if attachment_id > _LARGEST_ID:
        return _not_found(attachment_id)
    stored = await run_in_threadpool(
        _open, request.cookies.get(SESSION_COOKIE), attachment_id, auth_routes.client_ip(request)
    )
    if stored is None:
        return _not_found(attachment_id)
    return FileResponse(
        stored.path,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": content_disposition(stored.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


routes = [Route(DOWNLOAD_PREFIX + "/{attachment_id:int}", download, methods=["GET"])]
