"""Việc chờ tôi xử lý: exactly the tasks on which the user can fire a step now.

In the standard data the open tasks of Sở Tài chính (a1, b1, b2) wait for the clerk's vào sổ;
c3 is replied (waiting for VP UBND) and c1 is done: neither is anybody's work in the unit.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from models.schemas import ReplyCreate
from tests.actions import issue_reply
from tests.conftest import FINANCE, at
from tests.pages.conftest import World, values

WORLD_USERS = ["syt.vanthu", "admin"]
PAGE = "pages/inbox.py"
EMPTY = "Không có việc nào đang chờ bạn xử lý."


def inbox(world: World, username: str) -> AppTest:
    at = world.app_as(username, PAGE)
    assert not at.exception
    assert values(at.title) == ["Việc chờ tôi xử lý"]
    return at


def ids(at: AppTest) -> list[int]:
    if not at.dataframe:
        return []
    return [int(v) for v in at.dataframe[0].value["Mã"]]


def test_unit_users_land_on_their_inbox(world: World) -> None:
    at = world.app_as("stc.vanthu")
    assert values(at.title) == ["Việc chờ tôi xử lý"]
    assert values(at.caption)[0] == "Lê Thị Văn Thư · Văn thư · Sở Tài chính"


def test_tasks_waiting_for_vao_so_are_the_clerks_only(world: World) -> None:
    t = world.tasks
    at = inbox(world, "stc.vanthu")
    assert values(at.caption)[1] == "3 nhiệm vụ đang chờ bạn ở một bước xử lý. Chọn một dòng để mở và xử lý."
    assert ids(at) == [t["a1"], t["b1"], t["b2"]]  # overdue, due soon, then by deadline
    for username in ("stc.lanhdao", "stc.chuyenvien"):
        at = inbox(world, username)
        assert ids(at) == []
        assert values(at.success) == [EMPTY]
    # another unit's clerk sees its own tasks only
    assert ids(inbox(world, "syt.vanthu")) == [world.tasks["d1"], world.tasks["a2"]]


def test_the_task_moves_from_inbox_to_inbox_with_each_step(world: World) -> None:
    task = world.new_task(FINANCE, "Thẩm định phương án giá dịch vụ")
    base = [world.tasks["a1"], world.tasks["b1"], world.tasks["b2"]]
    # person whose inbox holds the task before each step (the others' do not)
    specialist = world.user_ids["stc.chuyenvien"]
    steps = [
        ("stc.vanthu", "vao_so", {}),
        ("stc.lanhdao", "but_phe", {"assignee_id": specialist}),
        ("stc.chuyenvien", "trinh_du_thao", {}),
        ("stc.lanhdao", "duyet", {}),
    ]
    for holder, step, extra in steps:
        for username in ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien"):
            shown = ids(inbox(world, username))
            assert (task in shown) is (username == holder), (step, username, shown)
        world.step(holder, task, step, **extra)
    assert task in ids(inbox(world, "stc.vanthu"))  # ban hành
    assert task not in ids(inbox(world, "stc.lanhdao"))
    with world.session() as s:
        issue_reply(
            session=s,
            actor=world.actor("stc.vanthu"),
            config=world.runtime.config,  # type: ignore[union-attr]
            task_id=task,
            now=at(world.day(-1)),
            data=ReplyCreate(code="61/STC-NS", issue_date=world.day(-1), summary="Báo cáo", result="Xong"),
        )
    # replied: waits for VP UBND, nobody's work in the unit
    for username in ("stc.vanthu", "stc.lanhdao", "stc.chuyenvien"):
        assert task not in ids(inbox(world, username))
    assert ids(inbox(world, "stc.vanthu")) == base


def test_office_and_admin_have_no_inbox(world: World) -> None:
    for username in ("vp.theodoi", "admin"):
        at = world.app_as(username)
        with pytest.raises(ValueError):
            at.switch_page(PAGE)
