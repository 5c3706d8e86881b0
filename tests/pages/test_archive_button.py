"""Lưu kết thúc on the task page: only the former lead unit's clerk has the button
(``task.archive`` in config/roles.yaml); its leader and specialist do not."""

from __future__ import annotations

from tests.actions import decide_wrong_unit, request_wrong_unit
from tests.conftest import FINANCE, PLEIKU, at
from tests.pages.conftest import World, by_label, values

ARCHIVE = "Lưu kết thúc văn bản (không thuộc chức năng của đơn vị)"


def _closed_as_wrong_unit(world: World) -> int:
    task_id = world.new_task(FINANCE, "Kiểm tra nhà văn hóa thôn")
    assert world.runtime is not None
    with world.session() as s:
        request = request_wrong_unit(
            session=s,
            actor=world.actor("stc.lanhdao"),
            task_id=task_id,
            reason="Thuộc chức năng của UBND TP Pleiku",
            now=at(world.day(-2)),
        )
        assert request.id is not None
        decide_wrong_unit(
            session=s,
            actor=world.actor("vp.theodoi"),
            config=world.runtime.config,
            request_id=request.id,
            accept=True,
            new_lead_unit_code=PLEIKU,
            now=at(world.day(-1)),
        )
    return task_id


def test_only_the_clerk_is_offered_the_archive_button(world: World) -> None:
    task_id = _closed_as_wrong_unit(world)
    for username in ("stc.lanhdao", "stc.chuyenvien"):
        at_ = world.app_as(username, "pages/task_detail.py", {"id": str(task_id)})
        assert not at_.exception
        assert ARCHIVE not in [b.label for b in at_.button], username
    at_ = world.app_as("stc.vanthu", "pages/task_detail.py", {"id": str(task_id)})
    by_label(at_.button, ARCHIVE).click().run()
    assert not at_.exception
    assert values(at_.success) == ["Đã lưu kết thúc văn bản."]
    assert ARCHIVE not in [
        b.label for b in world.app_as("stc.vanthu", "pages/task_detail.py", {"id": str(task_id)}).button
    ]
