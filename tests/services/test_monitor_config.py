"""``monitor_chart_units`` (config/app.yaml): how many units Giám sát's chart draws. A value out of
5–500 stops the start naming the file and the key; left out, it is 20."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from services.config.loader import ConfigError, load_config
from services.infra.settings import ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    target.mkdir()
    for source in (ROOT / "config").glob("*.yaml"):
        shutil.copy(source, target / source.name)
    return target


def _set(config_dir: Path, value: object) -> None:
    path = config_dir / "app.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        data.pop("monitor_chart_units")
    else:
        data["monitor_chart_units"] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_shipped_value_and_default(config_dir: Path) -> None:
    assert load_config(config_dir).app.monitor_chart_units == 20
    _set(config_dir, 35)
    assert load_config(config_dir).app.monitor_chart_units == 35
    _set(config_dir, None)
    assert load_config(config_dir).app.monitor_chart_units == 20


@pytest.mark.parametrize("value", [0, 4, 501, "hai mươi"])
def test_a_value_out_of_range_is_refused_naming_the_key(config_dir: Path, value: object) -> None:
    _set(config_dir, value)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    assert "app.yaml" in str(caught.value) and "monitor_chart_units" in str(caught.value)
