"""The workflows as Graphviz DOT diagrams, drawn from the same config the engine runs (admin only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from models import OrgUnit, Permission
from services.access.permissions import Actor, require
from services.config.loader import AppConfig
from services.config.workflows import ActorUnit


@dataclass(frozen=True)
class WorkflowDiagram:
    key: str
    label: str
    owners: list[str]  # a unit's own variant: the units it is for (empty: shared)
    replaces: list[str]  # labels of the shared workflows it takes the place of
    dot: str


def workflow_diagrams(*, session: Session, actor: Actor, config: AppConfig) -> list[WorkflowDiagram]:
    """Every workflow of the configuration in force, in file order, for the admin page. A unit's
    variant names its units as the database does: a unit added on Đơn vị is in no YAML file."""
    require(actor, Permission.ADMIN, "Chỉ quản trị hệ thống xem trang này.")
    names = {str(code): str(short) for code, short in session.execute(select(OrgUnit.code, OrgUnit.short_name))}
    return [
        WorkflowDiagram(
            key=key,
            label=wf.label,
            owners=[names.get(code, code) for code in wf.units or []],
            replaces=[config.workflows.workflows[r].label for r in wf.replaces],
            dot=workflow_dot(config, key),
        )
        for key, wf in config.workflows.workflows.items()
    ]


def _quote(text: str) -> str:
    """A DOT string; a backslash-n inside it stays a DOT line break."""
    return '"' + text.replace('"', "'") + '"'


def workflow_dot(config: AppConfig, key: str) -> str:
    """States as boxes (final ones doubled), transitions as arrows labelled with step and roles."""
    wf = config.workflows.workflows[key]
    lines = ["digraph {", "  rankdir=TB;", '  node [shape=box, style="rounded", fontname="Helvetica"];']
    for state_key, state in wf.states.items():
        shape = ", peripheries=2" if state.final else ""
        fill = ', style="rounded,filled", fillcolor="#e8f0fe"' if state_key == wf.initial else ""
        lines.append(f"  {_quote(state_key)} [label={_quote(state.label)}{shape}{fill}];")
    for tr in wf.transitions.values():
        roles = ", ".join(config.role_label(r) for r in tr.roles)
        where = " (đơn vị cha)" if tr.actor_unit is ActorUnit.PARENT else ""
        label = f"B{tr.step}: {tr.label}\\n[{roles}{where}]"
        for source in tr.from_states:
            lines.append(f"  {_quote(source)} -> {_quote(tr.to)} [label={_quote(label)}, fontsize=10];")
    lines.append("}")
    return "\n".join(lines)
