"""Xếp hạng và xu hướng (``services.stats.ranking``, ``services.stats.trends``).

The ranking's order and ties on hand-built tables with the figures written out; then, on one
generated history (built once for the module, on SQLite and on PostgreSQL), the ranking of the
real table and each month of the trend against ``unit_statistics`` of that month and against
``classify`` + ``in_scope`` directly; and ``ranking_min_tasks`` validated in ``config/app.yaml``.
"""

from __future__ import annotations

import itertools
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from demo.generate import generate_tasks
from models import OrgUnit, TaskClass, UnitKind
from services.config.loader import ConfigError, load_config
from services.infra.settings import ROOT
from services.runtime import Runtime
from services.stats.classify import classify, load_facts
from services.stats.period import Period
from services.stats.ranking import rank_units
from services.stats.statistics import StatisticsReport, UnitStats, in_scope, unit_statistics
from services.stats.trends import month_periods, monthly_trends, own_lead_unit
from tests.services.support import FAST_HASHER, database_handle, release, runtime_on_copy

TODAY = date(2026, 11, 26)
PERIOD = Period(date(2026, 1, 1), TODAY, TODAY)


def _unit(uid: int, on_time: int, late: int = 0, open_ok: int = 0, overdue: int = 0) -> UnitStats:
    counts = {
        TaskClass.DONE_ON_TIME: on_time,
        TaskClass.DONE_LATE: late,
        TaskClass.OPEN_ON_TIME: open_ok,
        TaskClass.OPEN_OVERDUE: overdue,
    }
    return UnitStats(uid, f"Đơn vị {uid}", counts=counts)


def _report(*rows: UnitStats) -> StatisticsReport:
    return StatisticsReport(period=PERIOD, rows=list(rows), total=UnitStats(0, "Tổng cộng"))


def test_higher_rate_first_then_fewer_overdue_then_more_tasks() -> None:
    report = _report(
        _unit(1, on_time=5, late=5),  # 50 %, 0 overdue, 10 tasks
        _unit(2, on_time=8, late=2),  # 80 %
        _unit(3, on_time=5, overdue=5),  # 50 %, 5 overdue
        _unit(4, on_time=10, late=10),  # 50 %, 0 overdue, 20 tasks
        _unit(5, on_time=10),  # 100 %
    )
    ranking = rank_units(report, min_tasks=5)
    assert [(r.rank, r.stats.unit_id) for r in ranking.ranked] == [(1, 5), (2, 2), (3, 4), (4, 1), (5, 3)]
    assert ranking.unranked == ()
    assert [r.stats.rate for r in ranking.ranked] == [1.0, 0.8, 0.5, 0.5, 0.5]


def test_units_tied_on_all_keys_share_a_rank_and_keep_the_org_order() -> None:
    report = _report(
        _unit(7, on_time=3, late=3),
        _unit(2, on_time=6),
        _unit(9, on_time=3, late=3),
        _unit(4, on_time=3, late=3),
        _unit(1, on_time=1, late=5),
    )
    ranking = rank_units(report, min_tasks=1)
    assert [(r.rank, r.stats.unit_id) for r in ranking.ranked] == [(1, 2), (2, 7), (2, 9), (2, 4), (5, 1)]


def test_units_below_the_minimum_are_listed_apart_in_org_order() -> None:
    report = _report(
        _unit(3, on_time=1),  # 100 % on one task: not ranked first
        _unit(1, on_time=2, late=3),
        _unit(2, on_time=4),
        _unit(5, on_time=0, overdue=3),
    )
    ranking = rank_units(report, min_tasks=4)
    assert [r.stats.unit_id for r in ranking.ranked] == [2, 1]
    assert [u.unit_id for u in ranking.unranked] == [3, 5]
    assert ranking.min_tasks == 4
    # the minimum itself is enough
    assert [r.stats.unit_id for r in rank_units(report, min_tasks=3).ranked] == [2, 1, 5]
    assert rank_units(_report(), min_tasks=1).ranked == ()


def test_month_periods_cross_the_year_and_end_today() -> None:
    months = month_periods(today=TODAY)
    assert len(months) == 12
    assert months[0] == Period(date(2025, 12, 1), date(2025, 12, 31), date(2025, 12, 31))
    assert months[2] == Period(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 28))
    assert months[-1] == Period(date(2026, 11, 1), date(2026, 11, 30), TODAY)
    assert all(a.date_to.toordinal() + 1 == b.date_from.toordinal() for a, b in itertools.pairwise(months))
    leap = month_periods(today=date(2028, 3, 1), months=2)
    assert leap[0] == Period(date(2028, 2, 1), date(2028, 2, 29), date(2028, 2, 29))


# --- on a generated history ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def _generated(
    tmp_path_factory: pytest.TempPathFactory, _template_runtime: tuple[Runtime, Path | str]
) -> tuple[Runtime, Path | str]:
    """600 generated tasks over the last months, built once into a copy of the migrated template."""
    template, database = _template_runtime
    built = runtime_on_copy(database, tmp_path_factory.mktemp("ranking"), template)
    with pytest.MonkeyPatch.context() as patch, Session(built.engine, expire_on_commit=False) as session:
        patch.setattr("services.access.accounts.hash_password", FAST_HASHER.hash)
        generate_tasks(session=session, config=built.config, tasks=600, today=TODAY, seed=5)
    built.engine.dispose()
    return template, database_handle(built)


@pytest.fixture
def runtime(tmp_path: Path, _generated: tuple[Runtime, Path | str]) -> Iterator[Runtime]:
    template, database = _generated
    runtime = runtime_on_copy(database, tmp_path, template)
    yield runtime
    release(runtime)


def test_the_ranking_of_the_real_table(session: Session) -> None:
    report = unit_statistics(session=session, period=PERIOD)
    ranking = rank_units(report, min_tasks=15)
    assert ranking.ranked and ranking.unranked  # the generated history has both
    ranked = [r.stats for r in ranking.ranked]
    assert sorted(u.unit_id for u in [*ranked, *ranking.unranked]) == sorted(r.unit_id for r in report.rows)
    assert all(u.total >= 15 for u in ranked) and all(u.total < 15 for u in ranking.unranked)
    for above, below in itertools.pairwise(ranking.ranked):
        a, b = above.stats, below.stats
        assert (a.rate or 0) >= (b.rate or 0)
        if a.rate == b.rate:
            assert a.counts[TaskClass.OPEN_OVERDUE] <= b.counts[TaskClass.OPEN_OVERDUE]
        overdue = TaskClass.OPEN_OVERDUE
        tied = (a.rate, a.counts[overdue], a.total) == (b.rate, b.counts[overdue], b.total)
        assert below.rank == above.rank if tied else below.rank > above.rank


def test_each_month_of_the_trend_is_the_table_of_that_month(session: Session) -> None:
    trends = monthly_trends(session=session, today=TODAY)
    assert trends.months == month_periods(today=TODAY)
    assert trends.units
    facts = load_facts(session=session)
    for i, period in enumerate(trends.months):
        report = unit_statistics(session=session, period=period)
        shown = {u.unit_id: u.figures[i] for u in trends.units if u.figures[i].total}
        assert shown.keys() == {row.unit_id for row in report.rows}
        for row in report.rows:
            assert (shown[row.unit_id].on_time, shown[row.unit_id].total) == (
                row.counts[TaskClass.DONE_ON_TIME],
                row.total,
            )
            assert shown[row.unit_id].rate == row.rate
        assert (trends.total.figures[i].on_time, trends.total.figures[i].total) == (
            report.total.counts[TaskClass.DONE_ON_TIME],
            report.total.total,
        )
        if i in (3, 11):  # and, for two months, straight from the definition
            expected: dict[int, Counter[TaskClass]] = defaultdict(Counter)
            for f in facts.values():
                if in_scope(f, period):
                    expected[f.lead_unit_id][classify(f, period.as_of).task_class] += 1
            assert {uid: (c[TaskClass.DONE_ON_TIME], sum(c.values())) for uid, c in expected.items()} == {
                uid: (fig.on_time, fig.total) for uid, fig in shown.items()
            }
    assert sum(f.total for f in trends.total.figures) > 100


def test_a_unit_user_sees_their_unit_or_the_lead_unit_above(session: Session) -> None:
    trends = monthly_trends(session=session, today=TODAY)
    lead = trends.units[0].unit_id
    assert own_lead_unit(session=session, unit_id=lead, trends=trends) == lead
    sub = session.exec(select(OrgUnit).where(OrgUnit.parent_id == lead, OrgUnit.kind == UnitKind.SUBUNIT)).first()
    if sub is not None and sub.id is not None:
        assert own_lead_unit(session=session, unit_id=sub.id, trends=trends) == lead
    office = session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.OFFICE)).first()
    assert office is not None and office.id is not None
    assert own_lead_unit(session=session, unit_id=office.id, trends=trends) is None


# --- config --------------------------------------------------------------------------------------


def _config_with(tmp_path: Path, value: object) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    for source in (ROOT / "config").glob("*.yaml"):
        shutil.copy(source, target / source.name)
    path = target / "app.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        data.pop("ranking_min_tasks")
    else:
        data["ranking_min_tasks"] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def test_ranking_min_tasks_default_and_shipped(tmp_path: Path) -> None:
    assert load_config(ROOT / "config").app.ranking_min_tasks == 5
    assert load_config(_config_with(tmp_path, None)).app.ranking_min_tasks == 5


@pytest.mark.parametrize("value", [0, -1, 1001, "năm"])
def test_ranking_min_tasks_out_of_range_is_refused_naming_the_key(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_config_with(tmp_path, value))
    assert "app.yaml" in str(caught.value) and "ranking_min_tasks" in str(caught.value)
