"""Routing templates inside a unit (``config/workflows.yaml``), loaded and validated.

The workflows are data (states, transitions, guards), in the spirit of Plone's DCWorkflow;
``services/workflow.py`` runs them. Errors name the file, the workflow and the state or
transition, because a province edits this file.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models.enums import Role
from services.config.errors import ConfigError
from services.config.yaml_lines import compose, line_of


class FlowKind(StrEnum):
    MAIN = "main"  # the lead unit's own flow
    SUB = "sub"  # a sub-unit's part, started by internal routing


class ActorUnit(StrEnum):
    FLOW = "flow"  # a user of the unit holding the flow
    PARENT = "parent"  # a user of that unit's parent


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateDef(_Strict):
    """``final``: the flow's part is done (a parent waiting on sub flows may go on); a final
    state may still have a closing transition, such as the parent's lưu kết thúc."""

    label: str = Field(min_length=1)
    final: bool = False


class TransitionDef(_Strict):
    label: str = Field(min_length=1)
    step: int = Field(ge=1, le=99)
    from_states: tuple[str, ...] = Field(alias="from")
    to: str
    roles: tuple[Role, ...] = Field(min_length=1)
    actor_unit: ActorUnit = ActorUnit.FLOW
    assignee: bool = False
    choose_assignee: bool = False
    start_subflows: str | None = None
    wait_subflows: bool = False
    archive_subflows: str | None = None  # a transition of the sub workflow, fired on each sub flow
    issue_reply: bool = False
    note_required: bool = False
    only_as_effect: bool = False  # never offered on its own: fired by a parent step (archive_subflows)
    to_parent: bool = False  # the step hands the sub-unit's result to the parent unit (journal: → parent)
    routing_choice: bool = False  # one of the leader's routing cases at bút phê: the page offers them as a choice

    @field_validator("from_states", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


class WorkflowDef(_Strict):
    label: str = Field(min_length=1)
    kind: FlowKind
    initial: str
    requires_subunits: bool = False
    # A unit's own variant (with steps it adds): offered only to these unit codes, in place of
    # the shared workflows named in ``replaces``. None: a shared workflow, offered to every unit.
    units: tuple[str, ...] | None = Field(default=None, min_length=1)
    replaces: tuple[str, ...] = ()
    states: dict[str, StateDef] = Field(min_length=1)
    transitions: dict[str, TransitionDef] = Field(min_length=1)


class WorkflowsConfig(_Strict):
    workflows: dict[str, WorkflowDef] = Field(min_length=1)

    def main_workflows(self) -> dict[str, WorkflowDef]:
        return {k: w for k, w in self.workflows.items() if w.kind is FlowKind.MAIN}

    def mains_for(self, unit_code: str, *, has_subunits: bool) -> dict[str, WorkflowDef]:
        """The main workflows a unit may run: the shared ones that fit it, and its own variants,
        each of which takes the place of the shared workflows it ``replaces``."""
        fitting = {
            k: w
            for k, w in self.main_workflows().items()
            if (w.units is None or unit_code in w.units) and (has_subunits or not w.requires_subunits)
        }
        replaced = {r for w in fitting.values() for r in w.replaces}
        return {k: w for k, w in fitting.items() if k not in replaced}


def _check(config: WorkflowsConfig, path: Path) -> list[str]:
    errors: list[str] = []
    tree = compose(path)

    def at(*loc: str) -> str:
        line = line_of(tree, ("workflows", *loc))
        return f"{path}{f' dòng {line}' if line else ''}: workflows > " + " > ".join(loc)

    mains = config.main_workflows()
    if not mains:
        errors.append(f"{path}: workflows: cần ít nhất một quy trình kind: main.")
    initials = {w.initial for w in mains.values()}
    if len(initials) > 1:
        errors.append(
            f"{path}: workflows: các quy trình main phải cùng trạng thái initial (đang có {sorted(initials)})."
        )
    if not any(not w.requires_subunits and w.units is None for w in mains.values()):
        errors.append(f"{path}: workflows: cần một quy trình main dùng chung cho đơn vị không có đơn vị trực thuộc.")
    for key, wf in config.workflows.items():
        where = at(key)
        if wf.units is not None and wf.kind is not FlowKind.MAIN:
            errors.append(f"{at(key, 'units')}: chỉ quy trình kind: main mới riêng cho đơn vị.")
        if wf.replaces and wf.units is None:
            errors.append(
                f"{at(key, 'replaces')}: chỉ quy trình riêng của đơn vị (có trường units) mới thay quy trình khác."
            )
        for other in wf.replaces:
            target = config.workflows.get(other)
            if target is None or target.kind is not FlowKind.MAIN or target.units is not None:
                errors.append(f"{at(key, 'replaces')}: '{other}' không phải quy trình main dùng chung.")
        if wf.initial not in wf.states:
            errors.append(f"{where} > trường initial: không có trạng thái '{wf.initial}'.")
        if not any(s.final for s in wf.states.values()):
            errors.append(f"{where} > states: cần ít nhất một trạng thái final.")
        for tkey, tr in wf.transitions.items():
            twhere = at(key, "transitions", tkey)
            for state in (*tr.from_states, tr.to):
                if state not in wf.states:
                    errors.append(f"{twhere}: không có trạng thái '{state}'.")
            if tr.start_subflows is not None:
                sub = config.workflows.get(tr.start_subflows)
                if sub is None or sub.kind is not FlowKind.SUB:
                    errors.append(
                        f"{twhere} > trường start_subflows: '{tr.start_subflows}' không phải quy trình kind: sub."
                    )
            if tr.archive_subflows is not None:
                subs = [config.workflows.get(t.start_subflows) for t in wf.transitions.values() if t.start_subflows]
                if not any(tr.archive_subflows in sub.transitions for sub in subs if sub is not None):
                    errors.append(
                        f"{twhere} > trường archive_subflows: quy trình con không có '{tr.archive_subflows}'."
                    )
            if tr.issue_reply and wf.kind is not FlowKind.MAIN:
                errors.append(f"{twhere} > trường issue_reply: chỉ quy trình main ban hành văn bản trả lời.")
        reachable = {wf.initial}
        changed = True
        while changed:
            changed = False
            for tr in wf.transitions.values():
                if reachable.intersection(tr.from_states) and tr.to not in reachable:
                    reachable.add(tr.to)
                    changed = True
        for state in wf.states:
            if state not in reachable:
                errors.append(f"{at(key, 'states', state)}: không đến được từ trạng thái initial.")
    return errors


def load_workflows(config_dir: Path) -> WorkflowsConfig:
    """Read and validate ``workflows.yaml``; raise ConfigError listing every problem."""
    path = config_dir / "workflows.yaml"
    if not path.exists():
        raise ConfigError(f"{path}: thiếu tệp cấu hình.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" dòng {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: YAML không hợp lệ.") from exc
    try:
        config = WorkflowsConfig.model_validate(data)
    except ValidationError as exc:
        tree = compose(path)
        lines = []
        for err in exc.errors():
            line = line_of(tree, tuple(err["loc"]))
            where = " > ".join(str(p) for p in err["loc"])
            lines.append(f"- {path}{f' dòng {line}' if line else ''}: {where}: {err['msg']}")
        raise ConfigError("Cấu hình quy trình không hợp lệ:\n" + "\n".join(lines)) from exc
    errors = _check(config, path)
    if errors:
        raise ConfigError("Cấu hình quy trình không hợp lệ:\n" + "\n".join(f"- {e}" for e in errors))
    return config
