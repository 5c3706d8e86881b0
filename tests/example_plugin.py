"""The example plugin (plugins/giaoviec_example) made discoverable without installing it.

``importlib.metadata`` finds a distribution by a ``*.dist-info`` folder on ``sys.path``: a folder
with its ``METADATA`` and ``entry_points.txt`` in a temporary directory, plus the plugin's source
folder on ``sys.path`` so its module imports. Nothing is pip-installed into the venv.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services import plugins
from services.infra.settings import ROOT

SOURCE = ROOT / "plugins" / "giaoviec_example"


def install(folder: Path, monkeypatch: pytest.MonkeyPatch, *, entry: str = "giaoviec_example:register") -> None:
    info = folder / "giaoviec_example-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: giaoviec-example\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[giaoviec.plugins]\nexample = {entry}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.syspath_prepend(str(SOURCE))
    plugins.reset()


def forget() -> None:
    plugins.reset()
