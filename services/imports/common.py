"""What the three imports share: the checked file, the refusal, the progress callback, and the
one transaction that makes an import all or nothing.

The services an import calls (``create_assignment``, ``perform``, ``add_unit``, …) commit on their
own, one change at a time. ``one_transaction`` binds the session to a connection whose transaction
the import owns (``join_transaction_mode="rollback_only"``) and turns the session's ``commit`` into
a ``flush``: a service's commit then only writes into that transaction, a service's ``rollback``
rolls the whole import back, and only the import's own final commit makes anything visible. A file
with one bad row creates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.imports.reading import Sheet
from services.imports.schemas import Problem
from services.infra.bulk import bulk_write
from services.infra.errors import ServiceError

Progress = Callable[[int, int], None]  # (rows done, rows in all): the page's progress bar
_VN = timezone(timedelta(hours=7))


def local_moment(day: date, hour: int) -> datetime:
    """``day`` at ``hour``:00 in Việt Nam, as the UTC moment the services take as ``now``."""
    return datetime.combine(day, time(hour, 0), tzinfo=_VN).astimezone(UTC)


@dataclass
class Checked:
    """A file read and checked: its rows, every problem found, and what an import would create."""

    kind: str  # "tasks" | "units" | "users"
    file_name: str
    sheet: Sheet | None
    problems: list[Problem] = field(default_factory=list)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.sheet is not None and not self.problems

    @property
    def rows(self) -> int:
        return 0 if self.sheet is None else len(self.sheet.frame)


class ImportRefused(ServiceError):
    """The file was not imported; ``problems`` lists every reason (nothing was created)."""

    code = "import_refused"
    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0].message if problems else "Tệp không nhập được."
        more = f" (và {len(problems) - 1} lỗi khác)" if len(problems) > 1 else ""
        super().__init__(first + more, field="file")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    file_name: str
    rows: int
    summary: dict[str, Any]
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)  # e.g. the generated first passwords


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    """The errors as the page and the command show them: sheet, row, column, message."""
    return pd.DataFrame(
        [(p.sheet, p.row or "", p.column, p.message) for p in problems],
        columns=["Trang tính", "Dòng", "Cột", "Lỗi"],
    )


def problem_line(problem: Problem) -> str:
    """One error as one line of the command's stderr."""
    where = [problem.sheet]
    if problem.row:
        where.append(f"dòng {problem.row}")
    if problem.column:
        where.append(f"cột “{problem.column}”")
    return f"{', '.join(where)}: {problem.message}"


def refusal_problem(sheet: str, row: int, column: str, refusal: ServiceError) -> list[Problem]:
    """A service's refusal met during the import, as the problems of that row."""
    errors = getattr(refusal, "errors", None) or ()
    messages = [e.message for e in errors] or [refusal.message]
    return [Problem(row, sheet, column, message) for message in messages]


class _RolledBack(Exception):
    pass


@contextmanager
def one_transaction(engine: Engine, *, bulk: bool = False) -> Iterator[Session]:
    """A session whose every commit stays inside one transaction, committed when the block ends
    without an exception and rolled back otherwise (see the module's docstring).

    ``bulk``: the session is one bulk write (``services.infra.bulk``) until its commit: the data
    version moves once, only the tasks left open notify, unchanging reads are kept. The task
    import sets it; the units and accounts imports, which change what it would keep, do not."""
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="rollback_only")
        rolled_back: list[bool] = []

        def _mark(_session: Session) -> None:
            rolled_back.append(True)

        event.listen(session, "after_soft_rollback", _mark)
        # A service's commit only flushes: the statistics' spans of every task the import touched
        # (``services.stats.spans``, rebuilt at each commit) are then rebuilt once, at the end,
        # in this same transaction, instead of once per action.
        commit = session.commit
        session.commit = session.flush  # type: ignore[method-assign]
        try:
            with bulk_write(session) if bulk else nullcontext():
                yield session
                if rolled_back:  # a service rolled back and carried on: what is left is not the whole file
                    raise _RolledBack
                commit()  # spans rebuilt; with rollback_only the connection's transaction is still open
            transaction.commit()
        except _RolledBack:
            if transaction.is_active:
                transaction.rollback()
            raise ImportRefused([Problem(0, "", "", "Một thao tác bị hủy giữa chừng; không có gì được tạo.")]) from None
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
        finally:
            session.close()


def tick(progress: Progress | None, done: int, total: int, *, every: int = 20) -> None:
    if progress is not None and (done == total or done % every == 0):
        progress(done, total)
