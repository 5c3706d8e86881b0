"""/statistics: the official table of Giám sát công việc, and the tasks behind any of its figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from models import TaskClass
from services.infra.clock import local_date, now_utc
from services.org.units import require_unit, unit_codes
from services.stats.statistics import dashboard, period_or_default
from web.api import schemas
from web.api.auth import ActorDep, RuntimeDep, SessionDep

router = APIRouter(tags=["Thống kê"])

FromQuery = Annotated[
    date | None, Query(alias="from", description="Từ ngày (YYYY-MM-DD); mặc định 01/01 của năm “đến ngày”")
]
ToQuery = Annotated[date | None, Query(alias="to", description="Đến ngày (YYYY-MM-DD); mặc định hôm nay")]


@router.get(
    "/statistics",
    summary="Biểu thống kê theo đơn vị",
    response_model=schemas.StatisticsOut,
    response_description="Thành công",
    responses=schemas.errors(422),
)
def statistics(
    actor: ActorDep, rt: RuntimeDep, session: SessionDep, date_from: FromQuery = None, date_to: ToQuery = None
) -> schemas.StatisticsOut:
    """Cùng số liệu với Giám sát công việc: mỗi đơn vị có nhiệm vụ một dòng, và dòng tổng cộng.
    Nhiệm vụ giao trong kỳ cộng nhiệm vụ kỳ trước chuyển sang, tính loại đến ngày `to` (hoặc hôm nay)."""
    period = period_or_default(date_from=date_from, date_to=date_to, today=local_date(now_utc()))
    board = dashboard(session=session, actor=actor, period=period)
    return schemas.statistics(board.report, unit_codes(session=session))


@router.get(
    "/statistics/tasks",
    summary="Danh sách nhiệm vụ sau một số liệu",
    response_model=schemas.FigureTasksOut,
    response_description="Thành công",
    responses=schemas.errors(403, 422),
)
def figure_tasks(
    actor: ActorDep,
    rt: RuntimeDep,
    session: SessionDep,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    unit: Annotated[str | None, Query(description="Mã định danh đơn vị; bỏ trống: mọi đơn vị")] = None,
    task_class: Annotated[TaskClass | None, Query(alias="class", description="Loại; bỏ trống: mọi loại")] = None,
    page: Annotated[int, Query(ge=1, description="Trang, bắt đầu từ 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=200, description="Số nhiệm vụ mỗi trang (tối đa 200)")] = 50,
) -> schemas.FigureTasksOut:
    """Các nhiệm vụ tạo nên một ô của biểu thống kê (đơn vị × loại); `total` bằng đúng số liệu đó.
    Đơn vị chỉ xem được danh sách của đơn vị mình (khác: 403); VP UBND và quản trị xem mọi đơn vị."""
    period = period_or_default(date_from=date_from, date_to=date_to, today=local_date(now_utc()))
    unit_id = require_unit(session=session, code=unit, field="unit").id if unit else None
    board = dashboard(session=session, actor=actor, period=period)
    shown = board.figure_page(
        session=session,
        due_soon_days=rt.config.app.due_soon_days,
        unit_id=unit_id,
        task_class=task_class,
        page=page,
        per_page=per_page,
    )  # only the page's rows are built; a page past the last is the last
    codes = unit_codes(session=session)
    return schemas.FigureTasksOut(
        date_from=period.date_from,
        date_to=period.date_to,
        as_of=period.as_of,
        unit=unit,
        task_class=task_class,
        items=[schemas.task_item(row, codes) for row in shown.items],
        total=shown.total,
        page=shown.page,
        per_page=shown.per_page,
    )
