"""Quy trình xử lý administered through forms (issue 10, part 5): the labels of the steps, who
fires each transition (a role × transition matrix), a unit's own variant of a workflow with
an added step, and the removal of states and transitions. Each save is a new configuration
version (``services.config.store``) journaled with ``AdminEntity.WORKFLOW``.

One call per change: check ``Permission.ADMIN``, build the new ``workflows.yaml``, check it
(``check_workflows``: the rules of ``services.config.workflows`` told in Vietnamese naming the
workflow and the field, then the whole configuration with ``load_config``), write the version,
the journal row, and commit; or refuse and change nothing. A flow already started keeps running
on the version it started on (``Flow.config_version_id``, ``services.workflow.engine.flow_config``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from models import AdminEntity, ConfigVersion, Flow, Permission, Role
from services.access.permissions import Actor, require
from services.admin.config_admin import _current, _write, _yaml_of
from services.config import store
from services.config.loader import AppConfig
from services.config.workflows import FlowKind, WorkflowsConfig
from services.infra.errors import FieldError, InvalidInput, NotFound
from services.workflow.diagram import workflow_dot

ADMIN_ONLY = "Chỉ quản trị hệ thống được thay đổi quy trình."
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
LABEL_MAX = 200
# The roles a step may be given (the admin acts on no task)
STEP_ROLES: tuple[Role, ...] = (Role.CLERK, Role.LEADER, Role.SPECIALIST, Role.TRACKER)


def _data(files: Mapping[str, str]) -> dict[str, Any]:
    return _yaml_of(files, "workflows.yaml", "workflows")


def _name(data: Mapping[str, Any], key: str) -> str:
    """A workflow as the admin reads it: “label” (key)."""
    wf = data.get("workflows", {}).get(key)
    label = wf.get("label") if isinstance(wf, dict) else None
    return f"Quy trình “{label}” ({key})" if label else f"Quy trình {key}"


def _from_states(tr: Mapping[str, Any]) -> list[str]:
    value = tr.get("from")
    return [value] if isinstance(value, str) else list(value or [])


def check_workflows(data: Mapping[str, Any]) -> list[FieldError]:
    """The rules of ``config/workflows.yaml`` for a whole ``workflows`` mapping, each refusal
    naming the workflow and the field in Vietnamese: an empty label, a transition no role fires,
    a state or transition that names a state that does not exist, a state not reachable from the
    first one; then the models' own rules (``WorkflowsConfig``)."""
    errors: list[FieldError] = []
    workflows = data.get("workflows")
    if not isinstance(workflows, dict) or not workflows:
        return [FieldError("config", "workflows.yaml: cần ít nhất một quy trình.")]
    for key, wf in workflows.items():
        if not isinstance(wf, dict):
            errors.append(FieldError("config", f"Quy trình {key}: không đọc được."))
            continue
        name = _name(data, key)
        if not str(wf.get("label") or "").strip():
            errors.append(FieldError("labels", f"{name} — tên quy trình: không được để trống."))
        states = wf.get("states") or {}
        transitions = wf.get("transitions") or {}
        for skey, state in states.items():
            if not str((state or {}).get("label") or "").strip():
                errors.append(FieldError("labels", f"{name} — trạng thái {skey} — nhãn: không được để trống."))
        for tkey, tr in transitions.items():
            tr = tr or {}
            where = f"{name} — bước “{tr.get('label') or tkey}” ({tkey})"
            if not str(tr.get("label") or "").strip():
                errors.append(FieldError("labels", f"{name} — bước {tkey} — nhãn: không được để trống."))
            if not tr.get("roles"):
                errors.append(FieldError("matrix", f"{where} — vai trò: phải có ít nhất một vai trò được chuyển bước."))
            for state in (*_from_states(tr), tr.get("to")):
                if state not in states:
                    errors.append(FieldError("config", f"{where}: không có trạng thái “{state}”."))
        initial = wf.get("initial")
        reachable = {initial}
        changed = True
        while changed:
            changed = False
            for tr in transitions.values():
                tr = tr or {}
                if reachable.intersection(_from_states(tr)) and tr.get("to") not in reachable:
                    reachable.add(tr.get("to"))
                    changed = True
        for skey, state in states.items():
            if skey not in reachable:
                label = (state or {}).get("label") or skey
                errors.append(
                    FieldError(
                        "config",
                        f"{name} — trạng thái “{label}” ({skey}): không đến được từ trạng thái đầu ({initial}); "
                        "thêm một bước chuyển đến trạng thái này.",
                    )
                )
    if errors:
        return errors
    try:
        WorkflowsConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            head = _name(data, loc[1]) if len(loc) > 1 else "workflows.yaml"
            errors.append(FieldError("config", f"{head} — {' › '.join(loc[2:]) or 'quy trình'}: {error['msg']}."))
    return errors


def _save(
    *,
    session: Session,
    actor: Actor,
    files: Mapping[str, str],
    data: Mapping[str, Any],
    action: str,
    key: str,
    config_dir: Path,
    note: str,
    now: datetime | None,
) -> ConfigVersion:
    errors = check_workflows(data)
    if errors:
        raise InvalidInput.of(errors)
    new = {**files, "workflows.yaml": store.dump_yaml(data)}
    return _write(
        session=session,
        actor=actor,
        old=files,
        new=new,
        action=action,
        config_dir=config_dir,
        note=note or f"{store.ACTION_LABELS[action]}: {key}",
        now=now,
        entity=AdminEntity.WORKFLOW,
        entity_key=key,
    )


def _workflow(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    wf = data["workflows"].get(key)
    if not isinstance(wf, dict):
        raise NotFound(f"Không có quy trình “{key}”.")
    return wf


def save_labels(
    *,
    session: Session,
    actor: Actor,
    workflow: str,
    states: Mapping[str, str],
    transitions: Mapping[str, str],
    based_on: int | None,
    config_dir: Path,
    label: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """ "Nhãn bước": the labels of a workflow's states and transitions (and its own name)."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = _data(files)
    wf = _workflow(data, workflow)
    problems: list[FieldError] = []
    for kind, given, known in (("trạng thái", states, wf["states"]), ("bước", transitions, wf["transitions"])):
        for key, text in given.items():
            if key not in known:
                problems.append(FieldError("labels", f"{_name(data, workflow)}: không có {kind} {key}."))
                continue
            if len(text.strip()) > LABEL_MAX:
                problems.append(
                    FieldError("labels", f"{_name(data, workflow)} — {kind} {key} — nhãn: tối đa {LABEL_MAX} ký tự.")
                )
            known[key] = {**(known[key] or {}), "label": text.strip()}
    if label is not None:
        wf["label"] = label.strip()
    if problems:
        raise InvalidInput.of(problems)
    return _save(
        session=session,
        actor=actor,
        files=files,
        data=data,
        action="workflow_labels",
        key=workflow,
        config_dir=config_dir,
        note=note.strip(),
        now=now,
    )


def save_roles(
    *,
    session: Session,
    actor: Actor,
    workflow: str,
    matrix: Mapping[str, Sequence[str]],
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """ "Phân quyền chuyển bước": for each transition of ``workflow``, the roles that fire it (the
    checked boxes of its row); a transition left out of ``matrix`` keeps its roles."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = _data(files)
    wf = _workflow(data, workflow)
    problems: list[FieldError] = []
    allowed = {r.value for r in STEP_ROLES}
    for key, roles in matrix.items():
        if key not in wf["transitions"]:
            problems.append(FieldError("matrix", f"{_name(data, workflow)}: không có bước {key}."))
            continue
        unknown = [r for r in roles if r not in allowed]
        if unknown:
            problems.append(
                FieldError("matrix", f"{_name(data, workflow)} — bước {key}: không có vai trò {', '.join(unknown)}.")
            )
            continue
        wf["transitions"][key]["roles"] = [r.value for r in STEP_ROLES if r.value in roles]
    if problems:
        raise InvalidInput.of(problems)
    return _save(
        session=session,
        actor=actor,
        files=files,
        data=data,
        action="workflow_roles",
        key=workflow,
        config_dir=config_dir,
        note=note.strip(),
        now=now,
    )


@dataclass(frozen=True)
class AddedStep:
    """A unit's own variant of a main workflow with one step added after the transition
    ``after`` (A → B becomes A → new state → B): the new state, and the transition out of it.

    ``variant`` names the variant; when it is an existing variant of the unit, the step is added
    to it (its units and the workflows it replaces stay), else it is a copy of ``base``."""

    base: str
    variant: str
    variant_label: str
    units: Sequence[str]
    after: str  # a transition of the base: it now leads to the new state
    state: str
    state_label: str
    transition: str
    transition_label: str
    roles: Sequence[str] = field(default_factory=tuple)
    step: int | None = None  # the step number of the regulation; default: that of ``after``


def _variant_data(data: dict[str, Any], added: AddedStep, *, unit_codes: set[str]) -> list[FieldError]:
    """Put the variant into ``data``; the refusals of the form, by field."""
    problems: list[FieldError] = []
    workflows = data["workflows"]
    base = workflows.get(added.base)
    if not isinstance(base, dict) or base.get("kind") != FlowKind.MAIN.value:
        return [FieldError("variant.base", f"Quy trình gốc “{added.base}” không phải quy trình main.")]
    name = f"Quy trình riêng “{added.variant_label.strip() or added.variant}” ({added.variant})"
    in_place = added.variant == added.base and base.get("units") is not None
    if not KEY_PATTERN.match(added.variant):
        problems.append(
            FieldError("variant.variant", f"{name} — mã quy trình: chỉ chữ thường không dấu, số và dấu gạch dưới.")
        )
    elif added.variant in workflows and not in_place:
        problems.append(
            FieldError(
                "variant.variant",
                f"{name} — mã quy trình: khóa “{added.variant}” bị trùng với một quy trình đã có "
                "(để thêm bước vào quy trình riêng đã có, chọn chính nó làm quy trình gốc).",
            )
        )
    if not added.variant_label.strip():
        problems.append(FieldError("variant.variant_label", f"{name} — tên quy trình: không được để trống."))
    units = list(dict.fromkeys(added.units))
    if not in_place and not units:
        problems.append(FieldError("variant.units", f"{name} — đơn vị: chọn ít nhất một đơn vị."))
    unknown = [u for u in units if u not in unit_codes]
    if unknown:
        problems.append(FieldError("variant.units", f"{name} — đơn vị: không có đơn vị {', '.join(unknown)}."))
    variant = copy.deepcopy(base)
    states, transitions = variant["states"], variant["transitions"]
    after = transitions.get(added.after)
    if after is None:
        problems.append(FieldError("variant.after", f"{name} — chèn sau bước: không có bước “{added.after}”."))
    for field_name, key, kind in (
        ("variant.state", added.state, "trạng thái"),
        ("variant.transition", added.transition, "bước"),
    ):
        if not KEY_PATTERN.match(key):
            problems.append(
                FieldError(field_name, f"{name} — mã {kind} mới: chỉ chữ thường không dấu, số và dấu gạch dưới.")
            )
    if added.state in states:
        problems.append(
            FieldError(
                "variant.state", f"{name} — mã trạng thái mới: khóa “{added.state}” bị trùng với trạng thái đã có."
            )
        )
    if added.transition in transitions:
        problems.append(
            FieldError(
                "variant.transition", f"{name} — mã bước mới: khóa “{added.transition}” bị trùng với bước đã có."
            )
        )
    if not added.state_label.strip():
        problems.append(FieldError("variant.state_label", f"{name} — nhãn trạng thái mới: không được để trống."))
    if not added.transition_label.strip():
        problems.append(FieldError("variant.transition_label", f"{name} — nhãn bước mới: không được để trống."))
    roles = [r.value for r in STEP_ROLES if r.value in added.roles]
    if not roles:
        problems.append(
            FieldError("variant.roles", f"{name} — bước mới: phải có ít nhất một vai trò được chuyển bước.")
        )
    if problems or after is None:
        return problems
    target = after["to"]
    after["to"] = added.state
    states[added.state] = {"label": added.state_label.strip()}
    transitions[added.transition] = {
        "label": added.transition_label.strip(),
        "step": added.step if added.step is not None else after.get("step", 1),
        "from": added.state,
        "to": target,
        "roles": roles,
    }
    variant["label"] = added.variant_label.strip()
    if not in_place:
        variant["units"] = units
        variant["replaces"] = [added.base] if base.get("units") is None else list(base.get("replaces") or [])
    workflows[added.variant] = variant
    return []


def _unit_codes(session: Session) -> set[str]:
    """The units a variant may name: org.yaml's and those added on Quản trị › Đơn vị (every unit is
    in the database, never deleted)."""
    return set(store.unit_codes(session))


def preview_variant(*, actor: Actor, session: Session, config: AppConfig, added: AddedStep, config_dir: Path) -> str:
    """The variant's diagram (Graphviz DOT, as ``services.workflow.diagram`` draws it), checked
    as a save would check it; nothing is saved."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = store.current_files(session=session, config_dir=config_dir)  # a read: no writers' lock
    data = _data(files)
    problems = _variant_data(data, added, unit_codes=_unit_codes(session))
    problems = problems or check_workflows(data)
    if problems:
        raise InvalidInput.of(problems)
    workflows = WorkflowsConfig.model_validate(data)
    return workflow_dot(config.model_copy(update={"workflows": workflows}), added.variant)


def save_variant(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    added: AddedStep,
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """ "Quy trình riêng của đơn vị": save the variant with its added step as a new version."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = _data(files)
    problems = _variant_data(data, added, unit_codes=_unit_codes(session))
    if problems:
        raise InvalidInput.of(problems)
    return _save(
        session=session,
        actor=actor,
        files=files,
        data=data,
        action="workflow_variant",
        key=added.variant,
        config_dir=config_dir,
        note=note.strip(),
        now=now,
    )


@dataclass(frozen=True)
class Removal:
    """States and transitions taken out of one workflow.

    A state with exactly one transition out (S → B) is bridged: the transitions that led to it
    lead to B, and that transition goes with it (A → S → B becomes A → B, the undoing of an added
    step; through a chain of such states removed together, A → S1 → S2 → B becomes A → B).
    Otherwise every transition to or from the state goes with it, and the save is refused if
    that leaves a state unreachable (``check_workflows``)."""

    workflow: str
    states: Sequence[str] = ()
    transitions: Sequence[str] = ()


def _sitting(session: Session, workflow: str, states: Sequence[str], version: int) -> dict[str, int]:
    """How many active flows of ``workflow`` on the version being edited (``version``; 0: the seed,
    not stored yet) stand in each of ``states``. Flows on an older version finish on it."""
    if not states:
        return {}
    query = (
        select(col(Flow.state), func.count())
        .where(col(Flow.workflow) == workflow, col(Flow.active).is_(True), col(Flow.state).in_(list(states)))
        .group_by(col(Flow.state))
    )
    seed = store.seed_version_id(session) if version else None
    if version == 0 or version == seed:  # flows started on the seed, before it was stored, carry None
        query = query.where(or_(col(Flow.config_version_id).is_(None), col(Flow.config_version_id) == version))
    else:
        query = query.where(col(Flow.config_version_id) == version)
    return {str(state): int(count) for state, count in session.execute(query)}


def _bridge(key: str, outgoing_of: Mapping[str, list[str]], transitions: Mapping[str, Any]) -> str | None:
    """Where the transitions into the removed state ``key`` lead instead: along its one
    transition out, and on through any other removed state that has one transition out too, so
    A → S1 → S2 → B with S1 and S2 removed in one save becomes A → B. None: nothing to bridge (a
    state with no or several ways out on the way, or a circle of removed states)."""
    seen = {key}
    target = key
    while target in outgoing_of:
        out = outgoing_of[target]
        if len(out) != 1:
            return None
        target = transitions[out[0]]["to"]
        if target in seen:
            return None
        seen.add(target)
    return target


def _removal_data(session: Session, data: dict[str, Any], removal: Removal, version: int) -> list[FieldError]:
    """Take the states and transitions out of ``data``; the refusals of the form, by field."""
    wf = _workflow(data, removal.workflow)
    name = _name(data, removal.workflow)
    states: dict[str, Any] = wf["states"]
    transitions: dict[str, Any] = wf["transitions"]
    gone = list(dict.fromkeys(removal.states))
    dropped = set(removal.transitions)
    problems: list[FieldError] = []
    if not gone and not dropped:
        problems.append(FieldError("remove", f"{name}: chọn ít nhất một trạng thái hoặc bước chuyển để bỏ."))
    for key in gone:
        label = (states.get(key) or {}).get("label") or key
        where = f"{name} — trạng thái “{label}” ({key})"
        if key not in states:
            problems.append(FieldError("remove.states", f"{name}: không có trạng thái “{key}”."))
        elif key == wf.get("initial"):
            problems.append(FieldError("remove.states", f"{where}: là trạng thái đầu của quy trình, không bỏ được."))
        elif (states[key] or {}).get("final"):
            problems.append(FieldError("remove.states", f"{where}: là trạng thái kết thúc, không bỏ được."))
    for key in sorted(dropped - set(transitions)):
        problems.append(FieldError("remove.transitions", f"{name}: không có bước {key}."))
    for key, count in _sitting(session, removal.workflow, [s for s in gone if s in states], version).items():
        problems.append(
            FieldError(
                "remove.states",
                f"{name} — trạng thái “{states[key].get('label') or key}” ({key}): đang có {count} nhiệm vụ ở "
                "trạng thái này theo phiên bản đang sửa, không bỏ được; bỏ khi các nhiệm vụ đó đã chuyển bước.",
            )
        )
    if problems:
        return problems
    outgoing_of = {
        key: [t for t, tr in transitions.items() if key in _from_states(tr) and t not in dropped] for key in gone
    }
    for key in gone:
        outgoing = outgoing_of[key]
        bridge = _bridge(key, outgoing_of, transitions)
        for tkey, tr in list(transitions.items()):
            if tkey in outgoing and bridge is not None:
                dropped.add(tkey)  # S → B: its work is the state's, and goes with it
            elif tr["to"] == key:
                if bridge is None or bridge in _from_states(tr):
                    dropped.add(tkey)
                else:
                    tr["to"] = bridge
        del states[key]
    for tkey in dropped:
        transitions.pop(tkey, None)
    for tkey, tr in list(transitions.items()):
        sources = [s for s in _from_states(tr) if s in states]
        if not sources:
            del transitions[tkey]
        elif len(sources) != len(_from_states(tr)):
            tr["from"] = sources[0] if len(sources) == 1 else sources
    if not transitions:
        return [FieldError("remove", f"{name}: phải còn ít nhất một bước chuyển.")]
    return []


def preview_removal(*, actor: Actor, session: Session, config: AppConfig, removal: Removal, config_dir: Path) -> str:
    """The workflow's diagram without the states and transitions chosen (Graphviz DOT), checked
    as a save would check it; nothing is saved."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    version, files = store.current_files(session=session, config_dir=config_dir)  # a read: no writers' lock
    data = _data(files)
    problems = _removal_data(session, data, removal, version) or check_workflows(data)
    if problems:
        raise InvalidInput.of(problems)
    workflows = WorkflowsConfig.model_validate(data)
    return workflow_dot(config.model_copy(update={"workflows": workflows}), removal.workflow)


def save_removal(
    *,
    session: Session,
    actor: Actor,
    removal: Removal,
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """ "Bỏ trạng thái, bước chuyển": the workflow without them, as a new version; a flow started
    before finishes on its own version."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    version, files = _current(session, config_dir, based_on)
    data = _data(files)
    problems = _removal_data(session, data, removal, version)
    if problems:
        raise InvalidInput.of(problems)
    return _save(
        session=session,
        actor=actor,
        files=files,
        data=data,
        action="workflow_remove",
        key=removal.workflow,
        config_dir=config_dir,
        note=note.strip(),
        now=now,
    )


@dataclass(frozen=True)
class Handover:
    """What a merge did to the merged units' own variants: those the successor now runs too, and
    those it could not take (it has its own for that workflow, or two merged units had different
    ones: the admin chooses on Quy trình)."""

    taken: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


def hand_over_variants(
    *,
    session: Session,
    actor: Actor,
    merged: Sequence[str],
    successor: str,
    config_dir: Path,
    now: datetime | None = None,
) -> Handover:
    """At a merge (``services.admin.units.merge_units``), the successor takes the merged units' own
    variants: for each shared workflow a merged unit's variant replaces, the successor's code is
    added to that variant's ``units`` when it is the only such variant among the merged units and
    the successor has none of its own for that workflow (it keeps its own). Written as a new
    configuration version (action ``unit_merge``) in the caller's transaction, not committed."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, None)
    data = _data(files)
    workflows: dict[str, Any] = data["workflows"]
    gone = set(merged)

    def bases(key: str) -> list[str]:
        return list(workflows[key].get("replaces") or []) or [key]

    mine = {b for key, wf in workflows.items() if successor in (wf.get("units") or []) for b in bases(key)}
    theirs = [
        key
        for key, wf in workflows.items()
        if gone.intersection(wf.get("units") or []) and successor not in (wf.get("units") or [])
    ]
    taken = [
        key
        for key in theirs
        if not mine.intersection(bases(key))
        and all(other == key or not set(bases(other)).intersection(bases(key)) for other in theirs)
    ]
    left = tuple(key for key in theirs if key not in taken)
    if not taken:
        return Handover(left=left)
    for key in taken:
        workflows[key]["units"] = [*workflows[key]["units"], successor]
    problems = check_workflows(data)
    if problems:
        raise InvalidInput.of(problems)
    _write(
        session=session,
        actor=actor,
        old=files,
        new={**files, "workflows.yaml": store.dump_yaml(data)},
        action="unit_merge",
        config_dir=config_dir,
        note=f"{store.ACTION_LABELS['unit_merge']}: {successor} chạy {', '.join(taken)}",
        now=now,
        entity=AdminEntity.WORKFLOW,
        entity_key=successor,
        commit=False,
    )
    return Handover(taken=tuple(taken), left=left)


def save_workflows(
    *,
    session: Session,
    actor: Actor,
    workflows: Mapping[str, Any],
    based_on: int | None,
    config_dir: Path,
    note: str = "",
    now: datetime | None = None,
) -> ConfigVersion:
    """The whole ``workflows`` mapping at once (the forms' common path, and a script's): checked
    by ``check_workflows`` and ``load_config``."""
    require(actor, Permission.ADMIN, ADMIN_ONLY)
    _, files = _current(session, config_dir, based_on)
    data = {**_data(files), "workflows": copy.deepcopy(dict(workflows))}
    return _save(
        session=session,
        actor=actor,
        files=files,
        data=data,
        action="workflows",
        key="workflows",
        config_dir=config_dir,
        note=note.strip(),
        now=now,
    )
