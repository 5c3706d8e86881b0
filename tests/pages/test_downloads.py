""" "Tải CSV" on Nhiệm vụ của đơn vị and Việc chờ tôi xử lý; a paged list's file holds every row."""

from __future__ import annotations

import csv
import io

from services.stats.rows import TaskRow
from services.stats.statistics import RowPage
from tests.pages.conftest import World
from ui.downloads import every_row

WORLD_USERS = ["syt.vanthu"]


def _labels(world: World, username: str, page: str) -> list[str]:
    at = world.app_as(username, page)
    assert not at.exception
    return [b.label for b in at.get("download_button")]


def test_unit_tasks_and_inbox_offer_a_csv(world: World) -> None:
    assert _labels(world, "stc.vanthu", "pages/unit_tasks.py") == ["Tải CSV"]
    assert _labels(world, "vp.theodoi", "pages/unit_tasks.py") == ["Tải CSV"]
    # Sở Tài chính's clerk has tasks waiting for vào sổ: their list has its file
    assert _labels(world, "stc.vanthu", "pages/inbox.py") == ["Tải CSV"]


def test_every_row_reads_every_page(world: World) -> None:
    """A list of 450 rows, cut in pages of at most 200 by the service: all 450, in order."""
    assert world.runtime is not None
    with world.session() as session:
        from services.tasks.queries import list_unit_tasks

        sample = list_unit_tasks(session=session, actor=world.actor("stc.vanthu"), today=world.today, due_soon_days=3)[
            0
        ]
    asked: list[tuple[int, int]] = []
    rows = [sample.__class__(**{**sample.__dict__, "task_id": n}) for n in range(450)]

    def fetch(page: int, per_page: int) -> RowPage:
        asked.append((page, per_page))
        return RowPage(
            items=rows[(page - 1) * per_page : page * per_page], total=len(rows), page=page, per_page=per_page
        )

    got: list[TaskRow] = every_row(fetch)
    assert [r.task_id for r in got] == list(range(450))
    assert asked == [(1, 200), (2, 200), (3, 200)]
    from services.reports.csv_files import tasks_csv

    lines = list(csv.reader(io.StringIO(tasks_csv(got, world.runtime.config).decode("utf-8-sig"))))
    assert len(lines) == 451
