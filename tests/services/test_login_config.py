"""``login:`` of config/app.yaml: its defaults, and a mistake named with the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from services.config.loader import ConfigError, LoginConfig, load_config
from services.infra.settings import ROOT


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def _set_login(config_dir: Path, login: dict[str, object] | None) -> None:
    path = config_dir / "app.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if login is None:
        data.pop("login", None)
    else:
        data["login"] = login
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_shipped_limits_are_the_defaults_and_may_be_left_out(config_dir: Path) -> None:
    assert load_config(ROOT / "config").app.login == LoginConfig()
    _set_login(config_dir, None)
    assert load_config(config_dir).app.login == LoginConfig()
    _set_login(config_dir, {"lockout_minutes": 30})
    assert load_config(config_dir).app.login == LoginConfig(lockout_minutes=30)


@pytest.mark.parametrize(
    ("login", "fragments"),
    [
        ({"lockout_minutes": 0}, ["app.yaml", "login > trường lockout_minutes", "greater than or equal to 1"]),
        ({"max_delay_second": 5}, ["app.yaml", "max_delay_second", "Extra inputs are not permitted"]),
        (
            {"free_failures_per_account": 10, "max_failures_per_account": 10},
            ["app.yaml", "login", "free_failures_per_account phải nhỏ hơn max_failures_per_account"],
        ),
        (
            {"first_delay_seconds": 120, "max_delay_seconds": 60},
            ["first_delay_seconds không được lớn hơn max_delay_seconds"],
        ),
        (
            {"session_idle_minutes": 600, "session_max_hours": 8},
            ["session_idle_minutes không được dài hơn session_max_hours"],
        ),
    ],
)
def test_a_wrong_limit_stops_the_start_naming_the_field(
    config_dir: Path, login: dict[str, object], fragments: list[str]
) -> None:
    _set_login(config_dir, login)
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    for fragment in fragments:
        assert fragment in str(caught.value), str(caught.value)
