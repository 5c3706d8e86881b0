"""The import contracts of `.importlinter` hold, and they do fail on what they forbid.

`make test` runs `lint-imports` on the tree; here the same contracts are run on a copy of the
packages with one bad import added, so a contract that silently checks nothing would be caught.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from services.infra.settings import ROOT

PACKAGES = ("ui", "web", "demo", "services", "models")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / ".importlinter"), "--no-cache", "--no-logo"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_a_service_importing_the_ui_breaks_the_layers(tree: Path) -> None:
    (tree / "services" / "probe.py").write_text("import ui.runtime\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert "services above the models BROKEN" in " ".join(result.stdout.split())
    assert "services.probe -> ui.runtime" in result.stdout


def test_a_service_importing_streamlit_is_refused(tree: Path) -> None:
    (tree / "services" / "probe.py").write_text("import streamlit\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert "never import Streamlit (nor the HTTP frameworks) BROKEN" in " ".join(result.stdout.split())


def test_an_import_circle_is_refused(tree: Path) -> None:
    # infrastructure reaching up into the actions closes a circle (actions import infra)
    (tree / "services" / "infra" / "probe.py").write_text("import services.actions.registry\n", encoding="utf-8")
    result = _lint(tree)
    assert result.returncode != 0
    assert "No import circle between the packages of services, nor inside them BROKEN" in " ".join(
        result.stdout.split()
    )
