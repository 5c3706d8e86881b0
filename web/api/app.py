"""The JSON API (FastAPI), mounted by ``asgi.py`` at ``/api/v1`` in the same server as the pages.

The services' input models are pydantic already, so FastAPI validates requests with them and
generates the OpenAPI document from them. Every refusal is one JSON shape:
``{"error": {"code", "message", "field"}}`` with the status of the ``ServiceError``
(``services/infra/errors.py``); request validation errors become ``invalid_input`` naming the
field, unknown addresses ``not_found``; a bug answers ``internal_error`` without a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import RequestResponseEndpoint
from starlette.responses import Response

from services import runtime as process_runtime
from services.actions.registry import REGISTRY
from services.infra.errors import ServiceError
from services.infra.validation import invalid_input
from services.runtime import Runtime
from web.api import assignments, attachments, docs, statistics, tasks
from web.api.auth import FixedWindowLimiter

API_PREFIX = "/api/v1"
TITLE = "Giao việc — API v1"
_log = logging.getLogger(__name__)


def get_runtime() -> Runtime:
    """The process's one start-up (config validated, database migrated), shared with the pages
    and the login routes. The one place the API asks for it."""
    return process_runtime.get_runtime()


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    headers: dict[str, str] | None = getattr(exc, "headers", None)
    return error_response(exc.status, exc.code, exc.message, exc.field, headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    refusal = invalid_input(list(exc.errors()))
    return error_response(refusal.status, refusal.code, refusal.message, refusal.field)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(404, "not_found", f"API không có địa chỉ {request.url.path}.")
    if exc.status_code == 405:
        return error_response(
            405, "method_not_allowed", f"Địa chỉ {request.url.path} không nhận phương thức {request.method}."
        )
    return error_response(exc.status_code, "http_error", str(exc.detail))


async def _no_traceback(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """A bug answers a JSON 500 (logged here), never a traceback or an HTML page."""
    try:
        return await call_next(request)
    except Exception:
        _log.exception("API error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "Lỗi hệ thống. Vui lòng thử lại hoặc báo quản trị viên.")


def _openapi(app: FastAPI, runtime: Callable[[], Runtime]) -> Callable[[], dict[str, Any]]:
    """FastAPI's document plus the input model of every task action (the body of …/actions/{action})."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
        )
        components: dict[str, Any] = schema.setdefault("components", {}).setdefault("schemas", {})
        labels = runtime().config.app.task_actions
        inputs: dict[str, str] = {}
        for action in REGISTRY.values():
            model = action.input_model
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(model_schema.pop("$defs", {}))
            components[model.__name__] = model_schema
            inputs[model.__name__] = model.__name__
        schema["x-actions"] = [
            {"key": str(key), "label": labels.get(key, str(key)), "input": action.input_model.__name__}
            for key, action in REGISTRY.items()
        ]
        operation = schema["paths"]["/tasks/{task_id}/actions/{action}"]["post"]
        operation["requestBody"]["content"]["application/json"]["schema"] = {
            "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in inputs],
            "description": "Mô hình dữ liệu của thao tác `action` (bảng x-actions)",
        }
        app.openapi_schema = schema
        return schema

    return build


def create_app(runtime: Callable[[], Runtime] = get_runtime) -> FastAPI:
    app = FastAPI(
        title=TITLE,
        version="1.0",
        description=(
            "API JSON của Giao việc: cùng dữ liệu, cùng quyền và cùng quy tắc như các trang. "
            "Mỗi yêu cầu gửi khóa API của một tài khoản: `Authorization: Bearer gv_…` "
            "(tạo trên trang “Khóa API”)."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        exception_handlers={
            ServiceError: _service_error,
            RequestValidationError: _validation_error,
            StarletteHTTPException: _http_error,
        },
    )
    app.state.runtime = runtime
    app.state.limiter = FixedWindowLimiter()
    app.middleware("http")(_no_traceback)
    app.include_router(tasks.router)
    app.include_router(statistics.router)
    app.include_router(assignments.router)
    app.include_router(attachments.router)
    app.openapi = _openapi(app, runtime)  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def documentation() -> HTMLResponse:
        return HTMLResponse(docs.render(app.openapi(), prefix=API_PREFIX))

    return app


api = create_app()
