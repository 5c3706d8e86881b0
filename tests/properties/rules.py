"""What the YAML says, read here without the engine: workflows, the org tree, roles, the step rule.

Shared by the permission matrix and the state machine, so their expectations come from
``config/workflows.yaml``, ``config/org.yaml`` and ``config/roles.yaml`` themselves, not from
``services.workflow.engine`` or ``services.access.permissions``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import yaml

from services.infra.settings import ROOT

WORKFLOWS: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "config" / "workflows.yaml").read_text("utf-8"))[
    "workflows"
]
_ORG: list[dict[str, Any]] = yaml.safe_load((ROOT / "config" / "org.yaml").read_text("utf-8"))["units"]
PARENT_OF: dict[str, str | None] = {u["code"]: u.get("parent") for u in _ORG}
CHILDREN_OF: dict[str, list[str]] = {u["code"]: [c["code"] for c in _ORG if c.get("parent") == u["code"]] for u in _ORG}
OFFICE_CODES = frozenset(u["code"] for u in _ORG if u["kind"] == "office")
_ROLES: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "config" / "roles.yaml").read_text("utf-8"))["roles"]
STEP_ROLES = ("clerk", "leader", "specialist", "tracker")  # roles that may appear in a transition

OFFICE = "000.00.01.H21"  # VP UBND tỉnh
JUSTICE = "000.00.03.H21"  # Sở Tư pháp
FINANCE = "000.00.05.H21"  # Sở Tài chính
FIN_BUDGET, FIN_INVEST = "000.01.05.H21", "000.02.05.H21"  # its phòng
ICT = "000.00.11.H21"  # Sở TT&TT
ICT_IT, ICT_CENTRE, ICT_POST = "000.01.11.H21", "000.02.11.H21", "000.03.11.H21"  # its sub-units
HEALTH = "000.00.16.H21"  # Sở Y tế (no sub-units)
PLEIKU = "000.00.31.H21"  # UBND TP Pleiku
AN_KHE = "000.00.32.H21"  # UBND TX An Khê
PLK_FIN, PLK_ENV, PLK_URBAN = "000.01.31.H21", "000.02.31.H21", "000.03.31.H21"  # Pleiku's phòng
CHU_PAH_HOME = "000.01.34.H21"  # P. Nội vụ huyện Chư Păh


def permissions_of(role: str, unit: str) -> frozenset[str]:
    """What roles.yaml grants ``role`` in ``unit``: its ``at_office`` list in VP UBND, else ``at_unit``."""
    return frozenset(_ROLES[role]["at_office" if unit in OFFICE_CODES else "at_unit"])


def from_states(tr: dict[str, Any]) -> list[str]:
    value = tr["from"]
    return [value] if isinstance(value, str) else list(value)


def is_final(workflow: str, state: str) -> bool:
    return bool(WORKFLOWS[workflow]["states"][state].get("final"))


def step_allowed(
    tr: dict[str, Any], *, actor_unit: str, actor_role: str, actor_id: int, flow_unit: str, assignee_id: int | None
) -> bool:
    """Who may fire a transition, as the header of workflows.yaml and roles.yaml state it.

    VP UBND assigns and confirms, it never acts inside a unit; otherwise the actor's role is one
    of ``roles``, the actor belongs to the flow's unit (``actor_unit: flow``, the default) or to
    its parent (``actor_unit: parent``), and on an ``assignee: true`` step of a flow handed to
    someone, the actor is that person. A step marked ``only_as_effect`` is fired for nobody on
    its own (a parent step fires it: lưu kết thúc at step 10).
    """
    if tr.get("only_as_effect") or actor_unit in OFFICE_CODES or actor_role not in tr["roles"]:
        return False
    acting_unit = flow_unit if tr.get("actor_unit", "flow") == "flow" else PARENT_OF[flow_unit]
    if actor_unit != acting_unit:
        return False
    if tr.get("assignee") and assignee_id is not None:
        return actor_id == assignee_id
    return True


def path_to(workflow: str, start: str, goal: str) -> list[str]:
    """Transition keys of a shortest path from ``start`` to ``goal`` in the YAML graph."""
    transitions = WORKFLOWS[workflow]["transitions"]
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    seen = {start}
    while queue:
        state, path = queue.popleft()
        if state == goal:
            return path
        for key, tr in transitions.items():
            if state in from_states(tr) and tr["to"] not in seen:
                seen.add(tr["to"])
                queue.append((tr["to"], [*path, key]))
    raise AssertionError(f"{workflow}: {goal} unreachable from {start}")


def nearest_final(workflow: str, start: str) -> list[str]:
    finals = [s for s, d in WORKFLOWS[workflow]["states"].items() if d.get("final")]
    return min((path_to(workflow, start, f) for f in finals), key=len)


def fitting_main_workflows(unit: str, state: str) -> list[str]:
    """Main workflows a unit's not-yet-committed flow in ``state`` may still follow."""
    fitting = {
        w: d
        for w, d in WORKFLOWS.items()
        if d["kind"] == "main"
        and (CHILDREN_OF[unit] or not d.get("requires_subunits"))
        and unit in d.get("units", [unit])  # a unit's own variant fits that unit only
    }
    replaced = {r for d in fitting.values() for r in d.get("replaces", [])}
    return [w for w, d in fitting.items() if w not in replaced and state in d["states"]]
