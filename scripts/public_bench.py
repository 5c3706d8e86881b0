"""Load on the public page: bursts of anonymous readers beside a logged-in official (``make bench``).

Why: ``/cong-khai`` has no login, so anyone may open it fifty times at once; the officials working
in the same server must not notice. This starts the real server (``streamlit run asgi.py``, as the
tests do) on a fresh SQLite database filled by ``generate_tasks`` (``--tasks``, default 20 000),
logs the tracker ``vp.theodoi`` in, and measures what that official waits for, first alone, then
while another process fires bursts of ``--burst`` (50) concurrent GETs of ``/cong-khai`` one after
the other:

- a page run of Giám sát over Streamlit's websocket (``scripts/ws_load.py``'s client), the
  period 1 January – today: request to ``script_finished``;
- an authenticated HTTP request (``GET /giam-sat`` with the session cookie: the login check of
  every page load, in the server's thread pool, then Streamlit's page);
- ``GET /_stcore/health``.

Before that, the uncached cost of Xếp hạng và xu hướng (the year's table ranked, the twelve
monthly tables of the trend) in process, and the public page one request at a time.

Each is reported as median and p95 (ms), alone and under the bursts, with the ratio; and the
public page's own latency under its bursts: warm (the page of the data version is built) and
cold (each burst right after a write moved the data version, so its first request builds the
page and the others wait for that one build). Exit 1 if any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlmodel import Session  # noqa: E402

# scripts/ is first on sys.path
from ws_load import RUN_TIMEOUT_S, _level, login, percentile  # noqa: E402

from demo.generate import generate_tasks  # noqa: E402
from demo.seed import DEMO_PASSWORD  # noqa: E402
from services.infra.clock import local_date, now_utc  # noqa: E402
from services.infra.data_version import bump_data_version  # noqa: E402
from services.infra.database import session_scope  # noqa: E402
from services.infra.settings import Settings  # noqa: E402
from services.runtime import start  # noqa: E402
from services.stats.ranking import rank_units  # noqa: E402
from services.stats.statistics import make_period, unit_statistics  # noqa: E402
from services.stats.trends import monthly_trends  # noqa: E402
from tests.server import streamlit_process  # noqa: E402

TRACKER = "vp.theodoi"
PAGE = "giam-sat"
PUBLIC = "/cong-khai"
SERVER_START_S = 180.0


@dataclass
class Figures:
    """Latencies of one kind of request, in ms."""

    name: str
    samples: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def p95(self) -> float | None:
        return percentile(self.samples, 0.95) if self.samples else None

    def summary(self) -> dict[str, Any]:
        return {"n": len(self.samples), "errors": self.errors, "median_ms": self.median, "p95_ms": self.p95}


# --- the bursts, in their own process (the official's client keeps its own interpreter) ---------------


def _burst_worker(url: str, size: int, stop: EventType, cold: bool, db_url: str, out: Any) -> None:
    """Bursts of ``size`` concurrent GETs until ``stop``; each burst's latencies go to ``out``.
    ``cold``: a write moves the data version before each burst (its page is built afresh)."""
    engine = None
    if cold:
        from services.infra.database import make_engine

        engine = make_engine(db_url)

    async def run() -> None:
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

            async def one() -> tuple[float, str]:
                """(ms, "" or what went wrong)."""
                began = time.perf_counter()
                try:
                    response = await client.get(PUBLIC, params={"ky": "ca-nam"}, headers={"Accept": "text/html"})
                    ok = response.status_code == 200 and "Tổng cộng" in response.text
                    error = "" if ok else f"HTTP {response.status_code}: {response.text[:300]}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                return (time.perf_counter() - began) * 1000, error

            while not stop.is_set():
                if engine is not None:
                    with Session(engine) as session:
                        bump_data_version(session=session)
                        session.commit()
                began = time.perf_counter()
                results = await asyncio.gather(*(one() for _ in range(size)))
                out.put({"wall_ms": (time.perf_counter() - began) * 1000, "results": results})

    asyncio.run(run())


class Bursts:
    """Bursts running in a child process while the ``with`` block measures the official."""

    def __init__(self, url: str, size: int, *, cold: bool = False, db_url: str = "") -> None:
        ctx = multiprocessing.get_context("spawn")
        self.stop = ctx.Event()
        self.queue: Any = ctx.Queue()
        self.process = ctx.Process(target=_burst_worker, args=(url, size, self.stop, cold, db_url, self.queue))
        self.figures = Figures("public page")
        self.bursts: list[float] = []
        self.first_errors: list[str] = []

    def __enter__(self) -> Bursts:
        self.process.start()
        first = self.queue.get(timeout=300)  # the first burst is done: the load is on
        self._take(first)
        return self

    def _take(self, burst: dict[str, Any]) -> None:
        self.bursts.append(burst["wall_ms"])
        for ms, error in burst["results"]:
            if not error:
                self.figures.samples.append(ms)
            else:
                self.figures.errors += 1
                if len(self.first_errors) < 3:
                    self.first_errors.append(error)

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        deadline = time.monotonic() + 300
        while self.process.is_alive() and time.monotonic() < deadline:
            while not self.queue.empty():
                self._take(self.queue.get())
            time.sleep(0.05)
        while not self.queue.empty():
            self._take(self.queue.get())
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


# --- the official --------------------------------------------------------------------------------


def page_runs(url: str, cookie: str, query: str, runs: int) -> Figures:
    """``runs`` page runs of Giám sát in one websocket session, one after the other."""
    result = asyncio.run(
        _level(
            url,
            cookie,
            sessions=1,
            runs=runs,
            page=PAGE,
            query=query,
            browser_cache=True,
            server_pid=None,
            run_timeout=RUN_TIMEOUT_S,
        )
    )
    return Figures("Giám sát page run (websocket)", [s * 1000 for s in result.latencies_s], result.errors)


def http_requests(
    client: httpx.Client, name: str, path: str, runs: int, check: Callable[[httpx.Response], bool]
) -> Figures:
    figures = Figures(name)
    for _ in range(runs):
        began = time.perf_counter()
        try:
            response = client.get(path)
            ok = check(response)
        except httpx.HTTPError:
            ok = False
        if ok:
            figures.samples.append((time.perf_counter() - began) * 1000)
        else:
            figures.errors += 1
        time.sleep(0.05)  # an official clicks; a tight loop would be a load of its own
    return figures


def official(url: str, cookie: str, query: str, runs: int) -> list[Figures]:
    """What the logged-in tracker waits for: page runs, an authenticated request, the health check."""
    headers = {"Cookie": cookie, "Accept": "text/html"}  # a page load: the login check runs
    with httpx.Client(base_url=url, timeout=120, headers=headers) as client:
        authenticated = http_requests(
            client,
            "GET /giam-sat with the session cookie",
            f"/{PAGE}",
            runs,
            lambda r: r.status_code == 200 and "<html" in r.text.lower(),
        )
        health = http_requests(client, "GET /_stcore/health", "/_stcore/health", runs, lambda r: r.text == "ok")
    return [page_runs(url, cookie, query, runs), authenticated, health]


# --- the ranking and the trend, in process -----------------------------------------------------------


def ranking_and_trend(engine: Any, config: Any, today: date, runs: int = 5) -> dict[str, float]:
    """Median ms of what Xếp hạng và xu hướng computes when its cache is cold: the year's table
    and its ranking, and the twelve monthly tables of the trend."""
    period = make_period(date_from=date(today.year, 1, 1), date_to=today, today=today)
    ranking_ms, trend_ms = [], []
    with Session(engine) as session:
        for _ in range(runs):
            began = time.perf_counter()
            rank_units(unit_statistics(session=session, period=period), min_tasks=config.app.ranking_min_tasks)
            ranking_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            monthly_trends(session=session, today=today)
            trend_ms.append((time.perf_counter() - began) * 1000)
    return {"ranking_ms": statistics.median(ranking_ms), "trend_12_months_ms": statistics.median(trend_ms)}


# --- the run --------------------------------------------------------------------------------------


def fmt(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:,.0f}".replace(",", " ")


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def run(tasks: int, burst: int, runs: int, out: Path | None) -> int:
    today = local_date(now_utc())
    query = f"from={date(today.year, 1, 1).isoformat()}&to={today.isoformat()}"
    with tempfile.TemporaryDirectory(prefix="giaoviec-public-bench-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        db_url = f"sqlite:///{folder / 'bench.db'}"
        runtime = start(settings=Settings(data_dir=folder / "data", secret_key="bench"), database_url=db_url)
        began = time.perf_counter()
        with session_scope(runtime.engine) as session:
            generate_tasks(session=session, config=runtime.config, tasks=tasks, today=today)
        took = time.perf_counter() - began
        print(f"{tasks:,} tasks generated in {took:.0f} s (SQLite)".replace(",", " "), flush=True)
        cold_reads = ranking_and_trend(runtime.engine, runtime.config, today)
        runtime.engine.dispose()
        print(
            f"Xếp hạng (table of the year + ranking) {fmt(cold_reads['ranking_ms'])} ms; "
            f"xu hướng (12 monthly tables) {fmt(cold_reads['trend_12_months_ms'])} ms (medians, uncached)",
            flush=True,
        )
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")},
            "GIAOVIEC_DATABASE_URL": db_url,
            "GIAOVIEC_DATA_DIR": str(folder / "data"),
            "GIAOVIEC_SECRET_KEY": "bench-secret-not-for-production",
            "PYTHONUNBUFFERED": "1",
        }
        with streamlit_process(env, folder / "server.log", timeout_s=SERVER_START_S) as (url, _pid):
            cookie = login(url, user=TRACKER, password=DEMO_PASSWORD)
            with httpx.Client(base_url=url, timeout=120) as client:  # warm: the page and Giám sát built once
                began = time.perf_counter()
                first = client.get(PUBLIC, params={"ky": "ca-nam"})
                first_ms = (time.perf_counter() - began) * 1000
                assert first.status_code == 200, first.text[:500]
            page_runs(url, cookie, query, 2)
            with httpx.Client(base_url=url, timeout=120, headers={"Accept": "text/html"}) as client:
                single = http_requests(
                    client, "GET /cong-khai, one at a time", f"{PUBLIC}?ky=ca-nam", runs, lambda r: r.status_code == 200
                )
            alone = official(url, cookie, query, runs)
            with Bursts(url, burst) as warm:
                loaded = official(url, cookie, query, runs)
            with Bursts(url, burst, cold=True, db_url=db_url) as cold:
                loaded_cold = official(url, cookie, query, runs)
    rows = []
    for a, w, c in zip(alone, loaded, loaded_cold, strict=True):
        rows.append((a.name, a, w, c))
    print(f"\nPublic page /cong-khai: first request (page built) {fmt(first_ms)} ms")
    print(f"  one request at a time (page built): median {fmt(single.median)} ms, p95 {fmt(single.p95)} ms")
    kinds = (("warm (built once per data version)", warm), ("cold (a write before each burst)", cold))
    for label, bursts in kinds:
        f = bursts.figures
        print(
            f"  bursts of {burst}, {label}: {len(bursts.bursts)} bursts, "
            f"a burst {fmt(statistics.median(bursts.bursts))} ms (median); "
            f"a request median {fmt(f.median)} ms, p95 {fmt(f.p95)} ms; errors {f.errors}"
        )
        for error in bursts.first_errors:
            print(f"    error: {error}")
    print(f"\n{'Logged-in official (vp.theodoi), ms':40} {'alone p50/p95':>15} {'warm bursts':>22} {'cold bursts':>22}")
    failed = 0
    for name, a, w, c in rows:
        failed += a.errors + w.errors + c.errors
        cells = [f"{fmt(a.median)}/{fmt(a.p95)}"]
        cells += [f"{fmt(x.median)}/{fmt(x.p95)} ({ratio(x.median, a.median)})" for x in (w, c)]
        print(f"{name:40} {cells[0]:>15} {cells[1]:>22} {cells[2]:>22}")
    failed += warm.figures.errors + cold.figures.errors + single.errors
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "tasks": tasks,
                    "burst": burst,
                    "runs": runs,
                    "public_first_ms": first_ms,
                    "public_single": single.summary(),
                    **cold_reads,
                    "public_warm": {**warm.figures.summary(), "bursts": len(warm.bursts)},
                    "public_cold": {**cold.figures.summary(), "bursts": len(cold.bursts)},
                    "official": [
                        {"name": name, "alone": a.summary(), "warm": w.summary(), "cold": c.summary()}
                        for name, a, w, c in rows
                    ],
                },
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
    print(f"\nerrors: {failed}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=20_000, help="generated tasks (default 20 000)")
    parser.add_argument("--burst", type=int, default=50, help="concurrent anonymous GETs per burst (default 50)")
    parser.add_argument("--runs", type=int, default=20, help="samples of each request of the official (default 20)")
    parser.add_argument("--json", type=Path, default=ROOT / ".bench" / "public-bench.json", help="figures as JSON")
    args = parser.parse_args(argv)
    return run(args.tasks, args.burst, args.runs, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
