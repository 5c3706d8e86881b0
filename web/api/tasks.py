"""/tasks: search, one task with what the caller may do to it, and any action of the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import ValidationError
from sqlmodel import Session

from models import ActionKey
from models.schemas import TaskFilters
from services.access.permissions import Actor
from services.actions.registry import REGISTRY, action_for, perform
from services.actions.workbench import task_workbench
from services.config.loader import AppConfig
from services.custom_fields import task_values
from services.infra.clock import local_date, now_utc
from services.infra.errors import InvalidInput, NotFound
from services.infra.validation import invalid_input
from services.journal.timeline import describe_timeline
from services.org.units import unit_codes
from services.tasks.queries import get_task_detail, get_visible_task, search_tasks
from web.api import schemas
from web.api.auth import ActorDep, RuntimeDep, SessionDep

router = APIRouter(tags=["Nhiệm vụ"])

# action key -> the name of its input model (the body of POST …/actions/{key})
ACTION_INPUTS: dict[ActionKey, str] = {key: action.input_model.__name__ for key, action in REGISTRY.items()}


def load_task(*, session: Session, actor: Actor, config: AppConfig, task_id: int) -> schemas.TaskDetailOut:
    """The task as the task page shows it to this actor: detail, where it stands, what they may do."""
    detail = get_task_detail(
        session=session,
        actor=actor,
        task_id=task_id,
        today=local_date(now_utc()),
        due_soon_days=config.app.due_soon_days,
    )
    bench = task_workbench(session=session, actor=actor, config=config, task_id=task_id)
    return schemas.task_detail(
        detail=detail,
        bench=bench,
        timeline=describe_timeline(session=session, config=config, entries=detail.timeline),
        codes=unit_codes(session=session),
        config=config,
        action_inputs=ACTION_INPUTS,
        custom=task_values(session=session, actor=actor, task_id=task_id, document_id=detail.document.id or 0),
    )


@router.get(
    "/tasks",
    summary="Danh sách nhiệm vụ được xem",
    response_model=schemas.TaskList,
    response_description="Thành công",
    responses=schemas.errors(422),
)
def list_tasks(
    filters: Annotated[TaskFilters, Query()], actor: ActorDep, rt: RuntimeDep, session: SessionDep
) -> schemas.TaskList:
    """Nhiệm vụ tài khoản được xem (VP UBND, quản trị: tất cả; đơn vị: nhiệm vụ mình chủ trì, phối
    hợp hoặc được chuyển đến), quá hạn trước, có bộ lọc và phân trang. Có `from`/`to`: cùng phạm
    vi và cách tính loại như Giám sát công việc."""
    found = search_tasks(
        session=session,
        actor=actor,
        filters=filters,
        today=local_date(now_utc()),
        due_soon_days=rt.config.app.due_soon_days,
    )
    codes = unit_codes(session=session)
    return schemas.TaskList(
        items=[schemas.task_item(row, codes) for row in found.items],
        total=found.total,
        page=found.page,
        per_page=found.per_page,
        as_of=found.as_of,
    )


@router.get(
    "/tasks/{task_id}",
    summary="Chi tiết một nhiệm vụ",
    response_model=schemas.TaskDetailOut,
    response_description="Thành công",
    responses=schemas.errors(404, 422),
)
def get_task(
    task_id: int, actor: ActorDep, rt: RuntimeDep, session: SessionDep, response: Response
) -> schemas.TaskDetailOut:
    """Văn bản, đơn vị phối hợp, văn bản trả lời, “Đang ở bước”, nhật ký, `version` và các thao
    tác (`actions`) tài khoản được làm lúc này, đúng như trang Chi tiết nhiệm vụ."""
    task = load_task(session=session, actor=actor, config=rt.config, task_id=task_id)
    response.headers["ETag"] = f'"{task.version}"'
    return task


def _expected_version(query: int | None, if_match: str | None) -> int | None:
    """The version the caller last saw: ``expected_version`` or an ``If-Match: "N"`` header."""
    header: int | None = None
    if if_match is not None and if_match.strip() != "*":
        raw = if_match.strip().removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise InvalidInput("Tiêu đề If-Match phải là số phiên bản của nhiệm vụ, ví dụ \"3\".", field="If-Match")
        header = int(raw)
    if query is not None and header is not None and query != header:
        raise InvalidInput("expected_version và If-Match khác nhau.", field="expected_version")
    return query if query is not None else header


@router.post(
    "/tasks/{task_id}/actions/{action}",
    summary="Thực hiện một thao tác trên nhiệm vụ",
    response_model=schemas.ActionResultOut,
    response_description="Thành công",
    responses=schemas.errors(403, 404, 409, 422),
)
def act(
    task_id: int,
    action: str,
    actor: ActorDep,
    rt: RuntimeDep,
    session: SessionDep,
    response: Response,
    body: Annotated[dict[str, Any] | None, Body(description="Dữ liệu của thao tác (xem bảng thao tác)")] = None,
    expected_version: Annotated[
        int | None, Query(description="Phiên bản nhiệm vụ đã đọc; khác phiên bản hiện tại: 409 conflict")
    ] = None,
    if_match: Annotated[str | None, Header(alias="If-Match", description="Như expected_version: \"3\"")] = None,
) -> schemas.ActionResultOut:
    """Bất kỳ thao tác nào trong sổ đăng ký thao tác (`action`: note, step, reply, confirm, …),
    với cùng kiểm tra quyền và điều kiện như trang. Thao tác không có: 404."""
    entry = action_for(action)  # an unknown action: 404
    get_visible_task(session=session, actor=actor, task_id=task_id)  # another unit's task: 404, before the body
    try:
        data = entry.input_model.model_validate(body or {})
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None
    result = perform(
        session=session,
        actor=actor,
        config=rt.config,
        task_id=task_id,
        action=entry.key,
        data=data,
        expected_version=_expected_version(expected_version, if_match),
    )
    try:
        task: schemas.TaskDetailOut | None = load_task(session=session, actor=actor, config=rt.config, task_id=task_id)
    except NotFound:
        task = None
    response.headers["ETag"] = f'"{result.version}"'
    return schemas.ActionResultOut(
        task=task,
        message=result.outcome.message,
        created_task_id=result.outcome.created_task_id,
        document_id=result.outcome.document_id,
    )
