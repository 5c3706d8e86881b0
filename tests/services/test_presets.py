"""Named report periods: each preset's dates for a few days of the year, and an unknown name."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from models import PeriodPreset
from services.config.loader import ConfigError, load_config
from services.infra.errors import InvalidInput
from services.infra.settings import ROOT
from services.stats.presets import parse_preset, preset_dates, preset_of

P = PeriodPreset
# today -> preset -> (from, to)
EXPECTED: dict[date, dict[PeriodPreset, tuple[date, date]]] = {
    date(2026, 3, 31): {
        P.THIS_MONTH: (date(2026, 3, 1), date(2026, 3, 31)),
        P.LAST_MONTH: (date(2026, 2, 1), date(2026, 2, 28)),
        P.Q1: (date(2026, 1, 1), date(2026, 3, 31)),
        P.Q2: (date(2026, 4, 1), date(2026, 6, 30)),
        P.Q3: (date(2026, 7, 1), date(2026, 9, 30)),
        P.Q4: (date(2026, 10, 1), date(2026, 12, 31)),
        P.FIRST_HALF: (date(2026, 1, 1), date(2026, 6, 30)),
        P.NINE_MONTHS: (date(2026, 1, 1), date(2026, 9, 30)),
        P.THIS_YEAR: (date(2026, 1, 1), date(2026, 12, 31)),
        P.LAST_YEAR: (date(2025, 1, 1), date(2025, 12, 31)),
    },
    date(2026, 1, 1): {  # last month is December of last year
        P.THIS_MONTH: (date(2026, 1, 1), date(2026, 1, 31)),
        P.LAST_MONTH: (date(2025, 12, 1), date(2025, 12, 31)),
        P.Q1: (date(2026, 1, 1), date(2026, 3, 31)),
        P.Q4: (date(2026, 10, 1), date(2026, 12, 31)),
        P.LAST_YEAR: (date(2025, 1, 1), date(2025, 12, 31)),
    },
    date(2024, 3, 15): {  # a leap year: February has 29 days
        P.THIS_MONTH: (date(2024, 3, 1), date(2024, 3, 31)),
        P.LAST_MONTH: (date(2024, 2, 1), date(2024, 2, 29)),
        P.NINE_MONTHS: (date(2024, 1, 1), date(2024, 9, 30)),
    },
    date(2026, 12, 31): {
        P.THIS_MONTH: (date(2026, 12, 1), date(2026, 12, 31)),
        P.LAST_MONTH: (date(2026, 11, 1), date(2026, 11, 30)),
        P.Q4: (date(2026, 10, 1), date(2026, 12, 31)),
    },
}


@pytest.mark.parametrize("today", list(EXPECTED), ids=str)
def test_preset_dates(today: date) -> None:
    got = {preset: preset_dates(preset, today=today) for preset in EXPECTED[today]}
    assert got == EXPECTED[today]


def test_every_preset_has_a_label_and_finds_itself() -> None:
    config = load_config(ROOT / "config")
    assert set(config.app.period_presets) == set(PeriodPreset)
    today = date(2026, 5, 20)
    # each preset's own dates name it back (the first in order when two coincide: none does in May)
    assert {preset_of(*preset_dates(p, today=today), today=today) for p in PeriodPreset} == set(PeriodPreset)
    assert preset_of(date(2026, 1, 2), date(2026, 3, 31), today=today) is None


def test_parse_preset() -> None:
    assert parse_preset("quy-1") is PeriodPreset.Q1
    assert parse_preset(" nam-truoc ") is PeriodPreset.LAST_YEAR
    for bad in ("quy-5", "QUY-1", "", "=cmd"):
        with pytest.raises(InvalidInput) as caught:
            parse_preset(bad)
        assert caught.value.message.startswith("Không có kỳ báo cáo")
        assert "quy-1" in caught.value.message


def test_a_configuration_without_named_periods_still_loads(tmp_path: Path) -> None:
    """A configuration saved before the named periods existed gets the shipped labels; one that
    names only some of them is refused, naming the file, the field and the missing ones."""
    for source in (ROOT / "config").iterdir():
        shutil.copy(source, tmp_path)
    data = yaml.safe_load((tmp_path / "app.yaml").read_text(encoding="utf-8"))
    data.pop("period_presets")
    data.pop("reports")
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(tmp_path)
    assert config.app.period_presets[PeriodPreset.Q3] == "Quý III"
    assert (config.app.reports.place, config.app.reports.signer_title) == ("", "CHÁNH VĂN PHÒNG")
    data["period_presets"] = {"quy-1": "Quý I"}
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert f"{tmp_path / 'app.yaml'}: trường period_presets: thiếu nhãn cho thang-nay, thang-truoc, quy-2" in str(
        caught.value
    )
