"""/tasks/{id}/attachments and /attachments/{id}: a task's files and their download by API token.

The same rule as the pages' ``/tep/{id}`` (``services.attachments``): a file is listed and sent
only to an account that may see its task, every download is logged, and a file that does not
exist or belongs to a task the caller may not see is the same 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse

from services.attachments import open_attachment, task_attachments, task_downloads
from services.infra.clock import now_utc
from web.api import schemas
from web.api.auth import ActorDep, SessionDep
from web.attachment_routes import content_disposition

router = APIRouter(tags=["Tệp đính kèm"])

_LARGEST_ID = 2**31 - 1  # an INTEGER column: a larger number is no file (and no database error)


@router.get(
    "/tasks/{task_id}/attachments",
    summary="Tệp đính kèm của một nhiệm vụ",
    response_model=list[schemas.AttachmentGroupOut],
    response_description="Thành công",
    responses=schemas.errors(404),
)
def list_attachments(
    task_id: int, actor: ActorDep, session: SessionDep
) -> list[schemas.AttachmentGroupOut]:
    """Tệp của văn bản giao, của từng văn bản trả lời và từng cập nhật tiến độ (cũ trước), mỗi tệp
    kèm địa chỉ tải về và danh sách lượt tải (mới trước)."""
    groups = task_attachments(session=session, actor=actor, task_id=task_id)
    downloads = task_downloads(session=session, actor=actor, task_id=task_id)
    return [schemas.attachment_group(group, downloads) for group in groups]


@router.get(
    "/attachments/{attachment_id}",
    summary="Tải một tệp đính kèm",
    response_class=FileResponse,
    response_description="Nội dung tệp",
    responses=schemas.errors(404),
)
def download_attachment(
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    attachment_id: int = Path(ge=1, le=_LARGEST_ID),
) -> FileResponse:
    """Nội dung tệp (ghi vào nhật ký lượt tải), cho tài khoản được xem nhiệm vụ của tệp."""
    stored = open_attachment(
        session=session,
        actor=actor,
        attachment_id=attachment_id,
        now=now_utc(),
        ip=request.client.host if request.client else "",
    )
    return FileResponse(
        stored.path,
        media_type=stored.media_type,
        headers={
            "Content-Disposition": content_disposition(stored.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
