"""How long the task import takes:
``python scripts/import_bench.py [--rows 10000] [--history 0.5] [--backend sqlite|postgresql]``.

A fresh database (SQLite in a temporary folder, or a database of a throwaway PostgreSQL server,
``tests/postgres_server.py``, as ``scripts/bench.py`` starts it; migrated, the shipped config),
the demo accounts (a VP UBND tracker, an admin, the clerk/leader/specialist of every lead unit),
then one .xlsx of ``--rows`` task rows, four tasks per document, spread over the units;
``--history`` of them carry a reply (half of those also a verdict: done, or not done with an
extension). Prints the time to check the file (what the preview costs) and to import it (one
transaction), and what the import left: the notifications it wrote and the data version.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, col, func, select

from demo.seed import ensure_demo_accounts, unit_staff
from models import Notification, OrgUnit, User
from services.access.permissions import build_actor
from services.imports import schemas as s
from services.imports.tasks import check_tasks, import_tasks
from services.imports.templates import workbook_bytes
from services.infra.clock import local_date, now_utc
from services.infra.data_version import current_data_version
from services.infra.settings import ROOT, Settings
from services.infra.validation import fmt_day
from services.org.units import LEAD_KINDS
from services.runtime import start


def rows_for(count: int, history: float, codes: list[str], today: date) -> list[list[str]]:
    rng = random.Random(2026)
    rows: list[list[str]] = []
    for number in range(count):
        doc = number // 4
        issued = today - timedelta(days=30 + (doc * 7) % 300)
        deadline = issued + timedelta(days=rng.randint(5, 30))
        reply: list[str] = ["", "", ""]
        verdict: list[str] = ["", "", "", ""]
        if rng.random() < history:
            replied = issued + timedelta(days=rng.randint(1, 25))
            reply = [f"{number}/BC", fmt_day(replied), "Đã thực hiện."]
            if rng.random() < 0.5:
                confirmed = replied + timedelta(days=1)
                if rng.random() < 0.8:
                    verdict = [fmt_day(confirmed), s.OUTCOME_DONE, "", ""]
                else:
                    new = confirmed + timedelta(days=10)
                    verdict = [fmt_day(confirmed), s.OUTCOME_NOT_DONE, "Chưa đủ số liệu.", fmt_day(new)]
        rows.append(
            [
                f"{doc + 1}/UBND-BENCH",
                fmt_day(issued),
                "UBND tỉnh",
                "Công văn",
                f"V/v nhiệm vụ {doc + 1}",
                "Nguyễn Văn A",
                f"Nhiệm vụ số {number + 1}",
                codes[number % len(codes)],
                "",
                fmt_day(deadline),
                *reply,
                *verdict,
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--history", type=float, default=0.5)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    server = None
    if args.backend == "postgresql":
        from tests.postgres_server import start_server

        server = start_server()
    try:
        return bench(args, server)
    finally:
        if server is not None:
            server.stop()


def bench(args: argparse.Namespace, server: Any) -> int:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), config_dir=ROOT / "config", secret_key="bench")
        url = server.url(server.create_database()) if server else f"sqlite:///{Path(folder) / 'bench.db'}"
        runtime = start(settings=settings, database_url=url)
        today = local_date(now_utc())
        with Session(runtime.engine, expire_on_commit=False) as session:
            ensure_demo_accounts(session=session, config=runtime.config)
            units = session.exec(select(OrgUnit).where(col(OrgUnit.active), col(OrgUnit.kind).in_(LEAD_KINDS))).all()
            for unit in units:
                unit_staff(session, runtime.config, unit)
            admin = session.exec(select(User).where(User.username == "admin")).one()
            actor = build_actor(session=session, config=runtime.config, user_id=admin.id or 0)
            assert actor is not None
            data = workbook_bytes(
                s.TASK_SHEET, s.TASK_COLUMNS, rows_for(args.rows, args.history, [u.code for u in units], today)
            )
            started = time.perf_counter()
            checked = check_tasks(
                session=session, config=runtime.config, data=data, file_name="bench.xlsx", today=today
            )
            checked_in = time.perf_counter() - started
            assert checked.ok, checked.problems[:5]
        started, cpu = time.perf_counter(), time.process_time()
        result = import_tasks(
            engine=runtime.engine,
            actor=actor,
            config=runtime.config,
            data=data,
            file_name="bench.xlsx",
            tracker_username="vp.theodoi",
            today=today,
        )
        imported_in, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
        with Session(runtime.engine) as session:
            notified = session.exec(select(func.count()).select_from(Notification)).one()
            version = current_data_version(session=session)
        runtime.engine.dispose()
    print(f"{args.backend}, {args.rows} dòng ({len(data) // 1024} KB, {result.summary}):")
    print(f"  đọc và kiểm tra: {checked_in:.1f} s")
    print(
        f"  nhập: {imported_in:.1f} s ({args.rows / imported_in:.0f} dòng/s), CPU của tiến trình {imported_cpu:.1f} s"
    )
    print(f"  thông báo đã tạo: {notified}; phiên bản dữ liệu sau khi nhập: {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
