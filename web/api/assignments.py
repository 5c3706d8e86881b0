"""/assignments: VP UBND's tracker enters an assignment document with its tasks (Giao nhiệm vụ)."""

from __future__ import annotations

from fastapi import APIRouter

from models.schemas import AssignmentCreate
from services.tasks.assignment import create_assignment
from services.tasks.queries import document_task_ids
from web.api import schemas
from web.api.auth import ActorDep, RuntimeDep, SessionDep

router = APIRouter(tags=["Giao nhiệm vụ"])


@router.post(
    "/assignments",
    summary="Giao nhiệm vụ: văn bản và các nhiệm vụ của nó",
    status_code=201,
    response_description="Đã tạo văn bản và các nhiệm vụ",
    response_model=schemas.AssignmentCreatedOut,
    responses=schemas.errors(403, 422),
)
def create(
    data: AssignmentCreate, actor: ActorDep, rt: RuntimeDep, session: SessionDep
) -> schemas.AssignmentCreatedOut:
    """Như trang Giao nhiệm vụ (chỉ chuyên viên theo dõi của VP UBND tỉnh): số/ký hiệu không trùng
    trong năm của cơ quan ban hành, mỗi nhiệm vụ đúng một đơn vị chủ trì và một hạn xử lý (`deadline`
    hoặc `working_days`)."""
    document = create_assignment(session=session, actor=actor, config=rt.config, data=data)
    assert document.id is not None
    return schemas.AssignmentCreatedOut(
        document_id=document.id, task_ids=document_task_ids(session=session, document_id=document.id)
    )
