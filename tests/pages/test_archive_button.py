"""Lưu kết thúc on the task page: only the former lead unit's clerk has the button
(``task.archive`` in config/roles.yaml); its leader and specialist do not."""

from __future__ import annotations

from tests.pages.conftest import World, by_label, values

ARCHIVE = "Lưu kết thúc văn bản (không thuộc chức năng của đơn vị)"


def test_only_the_clerk_is_offered_the_archive_button(world: World) -> None:
    task_id = world.taken_back_as_wrong_unit("Kiểm tra nhà văn hóa thôn")
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
