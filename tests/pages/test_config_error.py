"""A broken config/*.yaml: the app refuses to start and names the file, the entry and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from services.infra.settings import ROOT
from tests.pages import conftest as pages_conftest
from tests.pages.conftest import SECRET, clear_caches, values

HEADLINE = "Không khởi động được vì cấu hình sai. Quản trị viên cần sửa các lỗi sau:"


@pytest.fixture
def broken_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], Path]]:
    """Copy the shipped config, let the test break org.yaml, and point the app's environment at it."""
    config_dir = tmp_path / "config"
    shutil.copytree(ROOT / "config", config_dir)
    monkeypatch.setenv("GIAOVIEC_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("GIAOVIEC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GIAOVIEC_DATABASE_URL", f"sqlite:///{tmp_path / 'broken.db'}")
    monkeypatch.setenv("GIAOVIEC_SECRET_KEY", SECRET)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    pages_conftest._active[0] = None  # no world is active any more
    clear_caches()

    def _break(old: str, new: str) -> Path:
        org = config_dir / "org.yaml"
        text = org.read_text(encoding="utf-8")
        assert old in text
        org.write_text(text.replace(old, new, 1), encoding="utf-8")
        return org

    yield _break
    clear_caches()


def _run() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    return at


def test_invalid_field_is_named_with_file_and_entry(broken_config: Callable[[str, str], Path]) -> None:
    org = broken_config('code: "000.00.05.H21"', 'code: "5.H21"')
    at = _run()
    assert values(at.error) == [HEADLINE]
    (message,) = values(at.code)
    assert str(org) in message
    assert "org.yaml" in message
    assert "units[4] (5.H21)" in message and "trường code" in message
    assert "không đúng mẫu 000.00.00.H21" in message
    # nothing else is drawn: no page, no login, no user block
    assert not at.title
    assert not at.info
    assert not at.sidebar.markdown


def test_yaml_syntax_error_gives_the_line(broken_config: Callable[[str, str], Path]) -> None:
    org = broken_config('province: "Gia Lai"', 'province: "Gia Lai\n  - [oops')
    at = _run()
    assert values(at.error) == [HEADLINE]
    (message,) = values(at.code)
    assert f"{org} dòng " in message
    assert "YAML không hợp lệ" in message


def test_fixing_the_file_and_clearing_the_cache_starts_the_app(broken_config: Callable[[str, str], Path]) -> None:
    org = broken_config("kind: office", "kind: headquarters")
    at = _run()
    assert values(at.error) == [HEADLINE]
    assert "trường kind" in values(at.code)[0]
    org.write_text(org.read_text(encoding="utf-8").replace("kind: headquarters", "kind: office"), encoding="utf-8")
    clear_caches()
    at = _run()
    assert values(at.error) == []
    assert values(at.title) == ["Giao việc"]  # the login page
