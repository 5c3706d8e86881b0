"""A bulk write: thousands of service calls in one transaction (the task import), with what every
call would repeat done once for all of them.

Pages and the API call ``perform`` one action at a time, and each such call must bump the data
version, and its commit rebuilds the task's statistics spans and writes the notifications of its
journal entries. The task import (``services.imports.tasks``) walks a backlog through the same
services, each step with its historical date, thousands of calls in one transaction whose
commits only flush (``services.imports.common.one_transaction``). It says so explicitly with a
``BulkWrite`` attached to its session (``bulk_write``), and for the life of that transaction:

* the data version is bumped once, by the first call that would bump it (readers see the new
  version when the import commits, as for one action);
* the statistics spans of every task touched are rebuilt once, at the commit (as for any
  transaction: ``services.stats.spans``);
* the notifications are those a person still has to act on: a task left open at the end
  notifies as its latest journal entries would (a task with no past: ``new_task`` to the lead
  unit's văn thư and leaders; one sent back by "Chưa hoàn thành": the verdict and the new
  deadline), while the steps, replies and verdicts of the past, and every entry of a task
  replied or done, notify nobody (``services.notifications.recipients``);
* reads of what the transaction never changes (units, accounts, the configuration's version, the
  custom fields) may be kept for its length (``memo``).

Nothing else differs: every guard, version claim and journal entry runs as for one action.
Without a ``BulkWrite`` on the session (every page, the API, the tests of single actions) none
of this applies.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "giaoviec.bulk_write"


@dataclass
class BulkWrite:
    """What a bulk write has already done once (see the module's docstring)."""

    version_bumped: bool = False
    kept: dict[Hashable, Any] = field(default_factory=dict)


def bulk_of(session: Session) -> BulkWrite | None:
    """The session's bulk write, or None for an ordinary one."""
    found = session.info.get(_KEY)
    return found if isinstance(found, BulkWrite) else None


@contextmanager
def bulk_write(session: Session) -> Iterator[BulkWrite]:
    """Mark the session as one bulk write until the block ends (its commit must be inside it)."""
    bulk = BulkWrite()
    session.info[_KEY] = bulk
    try:
        yield bulk
    finally:
        session.info.pop(_KEY, None)


def memo(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, kept for the bulk write's length under ``key``; on an ordinary session, every time.

    Only for reads the bulk write itself never changes (the task import adds no unit or account)."""
    bulk = bulk_of(session)
    if bulk is None:
        return load()
    if key not in bulk.kept:
        bulk.kept[key] = load()
    return cast(T, bulk.kept[key])
