"""config/*.yaml is what a province edits: a mistake must stop the start with a message that
names the file, the entry and the field (README, "Configuration")."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models import UnitKind
from services.config.loader import ConfigError, load_config
from services.infra.settings import ROOT

SHIPPED = ROOT / "config"
FINANCE = "000.00.05.H21"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped config, to break one thing at a time."""
    target = tmp_path / "config"
    target.mkdir()
    for source in SHIPPED.glob("*.yaml"):
        shutil.copy(source, target / source.name)
    return target


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _index(units: list[dict[str, Any]], code: str) -> int:
    return next(i for i, u in enumerate(units) if u["code"] == code)


def _error(config_dir: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config_dir)
    return str(caught.value)


def _assert_names(message: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def _finance_index() -> int:
    units = yaml.safe_load((SHIPPED / "org.yaml").read_text(encoding="utf-8"))["units"]
    return _index(units, FINANCE)


def test_shipped_config_loads_and_covers_the_province() -> None:
    """The shipped org tree: one office, >= 15 departments, >= 10 districts, sub-units under >= 2
    units, every code a national code of Gia Lai (000.00.00.H21), no duplicates, parents exist."""
    config = load_config(SHIPPED)
    units = config.org.units
    kinds = [u.kind for u in units]
    assert kinds.count(UnitKind.OFFICE) == 1
    assert config.office_code == "000.00.01.H21"
    assert kinds.count(UnitKind.DEPARTMENT) >= 15
    assert kinds.count(UnitKind.DISTRICT) >= 10
    parents = {u.parent for u in units if u.kind is UnitKind.SUBUNIT}
    assert len(parents) >= 2
    codes = [u.code for u in units]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.H21", code) for code in codes), codes
    assert parents <= set(codes)
    assert all(u.parent for u in units if u.kind is UnitKind.SUBUNIT)


def test_unit_with_bad_code_pattern(config_dir: Path) -> None:
    i = _finance_index()
    _edit(config_dir / "org.yaml", lambda d: d["units"][i].update(code="5.H21"))
    _assert_names(
        _error(config_dir),
        str(config_dir / "org.yaml"),
        f"units[{i}] (5.H21)",
        "trường code",
        "mã định danh '5.H21' không đúng mẫu 000.00.00.H21",
    )


def test_unit_with_unknown_kind(config_dir: Path) -> None:
    i = _finance_index()
    _edit(config_dir / "org.yaml", lambda d: d["units"][i].update(kind="ministry"))
    _assert_names(
        _error(config_dir), str(config_dir / "org.yaml"), f"units[{i}] ({FINANCE})", "trường kind", "'department'"
    )


def test_unit_with_empty_name(config_dir: Path) -> None:
    i = _finance_index()
    _edit(config_dir / "org.yaml", lambda d: d["units"][i].update(name=""))
    _assert_names(_error(config_dir), str(config_dir / "org.yaml"), f"units[{i}] ({FINANCE})", "trường name")


def test_duplicate_unit_code(config_dir: Path) -> None:
    i = _finance_index()
    _edit(config_dir / "org.yaml", lambda d: d["units"][i + 1].update(code=FINANCE))
    _assert_names(
        _error(config_dir),
        str(config_dir / "org.yaml"),
        f"units[{i + 1}] ({FINANCE})",
        "trường code",
        "mã định danh bị trùng",
    )


def test_subunit_whose_parent_does_not_exist(config_dir: Path) -> None:
    holder: dict[str, int] = {}

    def change(data: Any) -> None:
        holder["j"] = j = _index(data["units"], "000.01.11.H21")
        data["units"][j]["parent"] = "000.00.99.H21"

    _edit(config_dir / "org.yaml", change)
    _assert_names(
        _error(config_dir),
        str(config_dir / "org.yaml"),
        f"units[{holder['j']}] (000.01.11.H21)",
        "trường parent",
        "không có đơn vị mã '000.00.99.H21'",
    )


def test_subunit_without_parent(config_dir: Path) -> None:
    holder: dict[str, int] = {}

    def change(data: Any) -> None:
        holder["j"] = j = _index(data["units"], "000.01.05.H21")
        del data["units"][j]["parent"]

    _edit(config_dir / "org.yaml", change)
    _assert_names(
        _error(config_dir),
        str(config_dir / "org.yaml"),
        f"units[{holder['j']}] (000.01.05.H21)",
        "trường parent",
        "đơn vị trực thuộc phải có đơn vị cha",
    )


def test_two_office_units(config_dir: Path) -> None:
    """Exactly one office; the message must say which entries are offices."""
    _edit(config_dir / "org.yaml", lambda d: d["units"][_index(d["units"], FINANCE)].update(kind="office"))
    _assert_names(
        _error(config_dir),
        str(config_dir / "org.yaml"),
        "kind: office",
        "đang có 2",
        "000.00.01.H21",
        FINANCE,
    )


def test_no_office_unit(config_dir: Path) -> None:
    _edit(config_dir / "org.yaml", lambda d: d["units"][0].update(kind="department"))
    _assert_names(_error(config_dir), str(config_dir / "org.yaml"), "kind: office", "đang có 0")


def test_unknown_permission_in_roles(config_dir: Path) -> None:
    """The entry is named by its position in the list, and the message lists the valid names."""
    holder: dict[str, int] = {}

    def change(data: Any) -> None:
        holder["i"] = len(data["roles"]["clerk"]["at_unit"])
        data["roles"]["clerk"]["at_unit"].append("task.fly")

    _edit(config_dir / "roles.yaml", change)
    _assert_names(
        _error(config_dir),
        str(config_dir / "roles.yaml"),
        f"roles > clerk > at_unit[{holder['i']}]",
        "'task.reply'",
        "'task.wrong_unit'",
        "'task.contribute'",
        "(giá trị: 'task.fly')",
    )


def test_missing_role(config_dir: Path) -> None:
    _edit(config_dir / "roles.yaml", lambda d: d["roles"].pop("specialist"))
    _assert_names(_error(config_dir), str(config_dir / "roles.yaml"), "roles: thiếu vai trò specialist.")


def test_unknown_role(config_dir: Path) -> None:
    _edit(config_dir / "roles.yaml", lambda d: d["roles"].update(boss={"label": "Sếp"}))
    _assert_names(_error(config_dir), str(config_dir / "roles.yaml"), "roles > boss")


def test_missing_task_class_entry(config_dir: Path) -> None:
    _edit(config_dir / "app.yaml", lambda d: d["task_classes"].pop("done_late"))
    _assert_names(_error(config_dir), str(config_dir / "app.yaml"), "trường task_classes: thiếu nhãn cho done_late.")


def test_missing_task_class_label(config_dir: Path) -> None:
    _edit(config_dir / "app.yaml", lambda d: d["task_classes"]["open_on_time"].pop("label"))
    _assert_names(
        _error(config_dir), str(config_dir / "app.yaml"), "task_classes > open_on_time > trường label", "Field required"
    )


@pytest.mark.parametrize("colour", ["red", "#12345", "#GGGGGG", "2e7d32"])
def test_invalid_colour(config_dir: Path, colour: str) -> None:
    _edit(config_dir / "app.yaml", lambda d: d["task_classes"]["done_late"].update(color=colour))
    _assert_names(_error(config_dir), str(config_dir / "app.yaml"), "task_classes > done_late > trường color")


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_malformed_yaml_names_the_line(config_dir: Path) -> None:
    org = config_dir / "org.yaml"
    line = _line_of(org, f'code: "{FINANCE}"')
    org.write_text(
        org.read_text(encoding="utf-8").replace('name: "Sở Tài chính",', 'name: "Sở Tài chính" sai,'),
        encoding="utf-8",
    )
    _assert_names(_error(config_dir), f"{org} dòng {line}, cột ", "YAML không hợp lệ")


def test_tab_indentation_names_the_line(config_dir: Path) -> None:
    app = config_dir / "app.yaml"
    line = _line_of(app, "due_soon_days:")
    app.write_text(app.read_text(encoding="utf-8").replace("due_soon_days:", "\tdue_soon_days:"), encoding="utf-8")
    _assert_names(_error(config_dir), f"{app} dòng {line}, cột 1", "YAML không hợp lệ")


@pytest.mark.parametrize("name", ["org.yaml", "roles.yaml", "app.yaml", "workflows.yaml"])
def test_missing_file(config_dir: Path, name: str) -> None:
    (config_dir / name).unlink()
    _assert_names(_error(config_dir), f"{config_dir / name}: thiếu tệp cấu hình.")


def test_all_problems_are_listed_together(config_dir: Path) -> None:
    """Two broken files: both are reported in one message, so the admin fixes them in one go."""
    (config_dir / "roles.yaml").unlink()
    _edit(config_dir / "app.yaml", lambda d: d["task_classes"]["done_late"].update(color="red"))
    _assert_names(
        _error(config_dir),
        f"{config_dir / 'roles.yaml'}: thiếu tệp cấu hình.",
        f"{config_dir / 'app.yaml'} dòng {_line_of(config_dir / 'app.yaml', 'color: red')}: "
        "task_classes > done_late > trường color",
    )


def test_field_error_names_the_line(config_dir: Path) -> None:
    """README (Configuration): config errors 'name the file, the line and the field' - also for a valid YAML
    file with a bad value, not only for a YAML syntax error."""
    org = config_dir / "org.yaml"
    line = _line_of(org, f'code: "{FINANCE}"')
    text = org.read_text(encoding="utf-8").splitlines(keepends=True)
    text[line - 1] = text[line - 1].replace("kind: department", "kind: ministry")
    org.write_text("".join(text), encoding="utf-8")
    _assert_names(_error(config_dir), str(org), f"dòng {line}", "trường kind")


# --- workflows.yaml (routing templates, Điều 5.1.e) ---------------------------------------------


def _workflow_error(config_dir: Path, change: Callable[[Any], None]) -> str:
    _edit(config_dir / "workflows.yaml", change)
    return _error(config_dir)


def test_shipped_workflows_load() -> None:
    """Four main/sub pairs as the regulation describes them: the short flow, Trường hợp 1 (11
    steps) and Trường hợp 2 (6 steps), each sub-unit part a kind: sub workflow."""
    workflows = load_config(SHIPPED).workflows
    assert {k: (w.kind.value, w.requires_subunits) for k, w in workflows.workflows.items()} == {
        "ngan": ("main", False),
        "truong_hop_1": ("main", True),
        "truong_hop_1_truc_thuoc": ("sub", False),
        "truong_hop_2": ("main", True),
        "truong_hop_2_truc_thuoc": ("sub", False),
    }
    steps = {k: sorted({t.step for t in w.transitions.values()}) for k, w in workflows.workflows.items()}
    assert steps["truong_hop_1"] + steps["truong_hop_1_truc_thuoc"] == [1, 2, 8, 9, 10, 11, 3, 4, 5, 6, 7, 10]
    assert steps["truong_hop_2"] + steps["truong_hop_2_truc_thuoc"] == [1, 2, 6, 3, 4, 5]


@pytest.mark.parametrize("end", ["from", "to"])
def test_transition_naming_an_unknown_state(config_dir: Path, end: str) -> None:
    def change(data: Any) -> None:
        data["workflows"]["ngan"]["transitions"]["duyet"][end] = "cho_ky_so"

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > ngan > transitions > duyet",
        "không có trạng thái 'cho_ky_so'",
    )


def test_unreachable_state(config_dir: Path) -> None:
    def change(data: Any) -> None:
        data["workflows"]["truong_hop_2"]["states"]["cho_ky_so"] = {"label": "Chờ ký số"}

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > truong_hop_2 > states > cho_ky_so",
        "không đến được từ trạng thái initial",
    )


@pytest.mark.parametrize("target", ["ngan", "truong_hop_9"])
def test_start_subflows_must_name_a_sub_workflow(config_dir: Path, target: str) -> None:
    def change(data: Any) -> None:
        data["workflows"]["truong_hop_1"]["transitions"]["but_phe"]["start_subflows"] = target

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > truong_hop_1 > transitions > but_phe > trường start_subflows",
        f"'{target}' không phải quy trình kind: sub",
    )


def test_archive_subflows_must_name_a_transition_of_the_sub_workflow(config_dir: Path) -> None:
    def change(data: Any) -> None:
        data["workflows"]["truong_hop_1"]["transitions"]["trinh_du_thao"]["archive_subflows"] = "huy"

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > truong_hop_1 > transitions > trinh_du_thao > trường archive_subflows",
        "quy trình con không có 'huy'",
    )


def test_only_a_main_workflow_issues_the_reply(config_dir: Path) -> None:
    """Sub-units never answer VP UBND: issue_reply in a kind: sub workflow is refused."""

    def change(data: Any) -> None:
        data["workflows"]["truong_hop_1_truc_thuoc"]["transitions"]["gui_don_vi_cha"]["issue_reply"] = True

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > truong_hop_1_truc_thuoc > transitions > gui_don_vi_cha > trường issue_reply",
        "chỉ quy trình main ban hành văn bản trả lời",
    )


def test_initial_state_must_exist(config_dir: Path) -> None:
    def change(data: Any) -> None:
        data["workflows"]["truong_hop_2_truc_thuoc"]["initial"] = "cho_tiep_nhan"

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > truong_hop_2_truc_thuoc > trường initial",
        "không có trạng thái 'cho_tiep_nhan'",
    )


def test_unknown_role_in_a_transition(config_dir: Path) -> None:
    def change(data: Any) -> None:
        data["workflows"]["ngan"]["transitions"]["vao_so"]["roles"] = ["thu_ky"]

    _assert_names(
        _workflow_error(config_dir, change),
        str(config_dir / "workflows.yaml"),
        "workflows > ngan > transitions > vao_so > roles > 0",
    )


def test_a_main_workflow_for_units_without_subunits_is_required(config_dir: Path) -> None:
    _assert_names(
        _workflow_error(config_dir, lambda d: d["workflows"].pop("ngan")),
        str(config_dir / "workflows.yaml"),
        "cần một quy trình main dùng chung cho đơn vị không có đơn vị trực thuộc",
    )


def test_missing_workflows_file(config_dir: Path) -> None:
    (config_dir / "workflows.yaml").unlink()
    _assert_names(_error(config_dir), f"{config_dir / 'workflows.yaml'}: thiếu tệp cấu hình.")


def test_malformed_workflows_yaml_names_the_line(config_dir: Path) -> None:
    path = config_dir / "workflows.yaml"
    line = _line_of(path, "ban_hanh: {label:")
    path.write_text(
        path.read_text(encoding="utf-8").replace("ban_hanh: {label:", "ban_hanh: {label: : :", 1), encoding="utf-8"
    )
    _assert_names(_error(config_dir), f"{path} dòng {line}", "YAML không hợp lệ")


def test_workflow_error_names_the_line(config_dir: Path) -> None:
    """README (Configuration): config errors name the file, the line and the field — workflows.yaml included."""
    path = config_dir / "workflows.yaml"
    needle = 'duyet: {label: "Duyệt, chuyển văn thư ban hành", step: 4, from: cho_duyet, to: cho_ban_hanh,'
    line = _line_of(path, needle)
    path.write_text(
        path.read_text(encoding="utf-8").replace(needle, needle.replace("to: cho_ban_hanh", "to: cho_ky_so")),
        encoding="utf-8",
    )
    _assert_names(
        _error(config_dir), str(path), f"dòng {line}", "workflows > ngan > transitions > duyet", "'cho_ky_so'"
    )


def test_workflow_problems_are_listed_with_the_other_files(config_dir: Path) -> None:
    """A broken workflows.yaml and a broken app.yaml: both reported in one message."""
    _edit(config_dir / "app.yaml", lambda d: d["task_classes"]["done_late"].update(color="red"))
    _edit(config_dir / "workflows.yaml", lambda d: d["workflows"]["ngan"]["transitions"]["duyet"].update(to="cho_ky"))
    _assert_names(
        _error(config_dir),
        f"{config_dir / 'app.yaml'}",
        "task_classes > done_late > trường color",
        f"{config_dir / 'workflows.yaml'}",
        "workflows > ngan > transitions > duyet",
    )
