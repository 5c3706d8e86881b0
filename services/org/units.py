"""The org tree: seeded from ``config/org.yaml`` at start, then administered through forms.

Units are matched by their code (mã định danh); the file only adds the units the database lacks
(``sync_units``), the admin's forms change the rest (``services.admin.units``). Units are never
deleted, because old tasks still point at them.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from models import OrgUnit, UnitKind
from services.config.loader import AppConfig
from services.infra.bulk import memo
from services.infra.data_version import bump_data_version
from services.infra.errors import InvalidInput
from services.infra.text import matches

# The units VP UBND gives tasks to lead (Điều 4.1): sở, ban, ngành and the UBND of huyện, thị xã,
# thành phố. A phòng or đơn vị trực thuộc (sub-unit) is given its part of a task by its own
# leader's bút phê (Điều 5.1.e) and never answers VP UBND itself; the office never assigns to itself.
LEAD_KINDS = frozenset({UnitKind.DEPARTMENT, UnitKind.DISTRICT})


def sync_units(*, session: Session, config: AppConfig) -> None:
    """Seed the org tree from ``config/org.yaml``: add the units the database lacks, never touch one
    it has.

    Why a seed and not a mirror: the admin changes the tree through "Quản trị › Đơn vị" (rename,
    move, deactivate, merge; ``services.admin.units``), and every process start runs this; writing
    the file over the database would undo those changes at the next start. So an empty database
    gets the whole file, and a unit added to the file later is added (with its parent, if that
    unit exists); a unit already in the database, or removed from the file, stays as it is.
    """
    existing = {u.code: u for u in session.exec(select(OrgUnit)).all()}
    added: list[tuple[OrgUnit, str | None]] = []
    for order, unit_cfg in enumerate(config.org.units):
        if unit_cfg.code in existing:
            continue
        unit = OrgUnit(
            code=unit_cfg.code,
            name=unit_cfg.name,
            short_name=unit_cfg.short_name,
            kind=unit_cfg.kind,
            active=unit_cfg.active,
            sort_order=order,
        )
        session.add(unit)
        existing[unit_cfg.code] = unit
        added.append((unit, unit_cfg.parent))
    if not added:
        session.commit()  # nothing written: a start with a database already seeded
        return
    session.flush()
    for unit, parent_code in added:
        parent = existing.get(parent_code) if parent_code else None
        unit.parent_id = parent.id if parent is not None else None
    bump_data_version(session=session)  # a new unit may name lines of the table
    session.commit()


def list_units(*, session: Session, active_only: bool = True) -> list[OrgUnit]:
    query = select(OrgUnit).order_by(OrgUnit.sort_order, OrgUnit.id)  # type: ignore[arg-type]
    if active_only:
        query = query.where(OrgUnit.active == True)  # noqa: E712
    return list(session.exec(query).all())


def assignable_units(*, session: Session) -> list[OrgUnit]:
    """Every active unit except the office: the units a task may name as coordinating (phối hợp),
    and the units VP UBND's and the admin's list of a unit's tasks may show."""
    return [u for u in list_units(session=session) if u.kind is not UnitKind.OFFICE]


def lead_units(*, session: Session) -> list[OrgUnit]:
    """The units a task may be given to lead (``LEAD_KINDS``, active), in the order of
    config/org.yaml: what Giao nhiệm vụ, the wrong-unit re-routing and a replacement offer, and
    what ``resolve_lead_unit`` accepts."""
    return [u for u in list_units(session=session) if u.kind in LEAD_KINDS]


def unit_search_text(unit: OrgUnit) -> str:
    """What a unit is found by in a picker's search: its full and short names and its mã định danh
    ("thong tin" finds Sở TT&TT, whose short name does not spell it)."""
    return f"{unit.name} {unit.short_name} {unit.code}"


def unit_search_texts(*, session: Session) -> dict[int, str]:
    """``unit_search_text`` of every unit by id (inactive ones too: old figures name them); four
    columns, no ORM objects (Giám sát's drill-down asks on every run of its fragment)."""
    rows = session.exec(select(col(OrgUnit.id), col(OrgUnit.name), col(OrgUnit.short_name), col(OrgUnit.code))).all()
    return {uid: f"{name} {short} {code}" for uid, name, short, code in rows if uid is not None}


def search_units(units: list[OrgUnit], query: str) -> list[OrgUnit]:
    """The units whose name, short name or code holds every word of ``query``, case and accents
    ignored ("tai chinh" finds "Sở Tài chính"), in their given order; a blank query: all."""
    return [u for u in units if matches(query, unit_search_text(u))]


def unit_by_code(*, session: Session, code: str) -> OrgUnit | None:
    return session.exec(select(OrgUnit).where(OrgUnit.code == code)).first()


def unit_names(*, session: Session) -> dict[int, str]:
    """Every unit's short name by id (inactive ones too); two columns, no ORM objects (every list
    line names its unit, on every page run)."""
    return {uid: name for uid, name in session.exec(select(col(OrgUnit.id), col(OrgUnit.short_name))).all() if uid}


def unit_codes(*, session: Session) -> dict[int, str]:
    """Every unit's mã định danh by id (inactive ones too: old tasks still name them)."""
    return {u.id: u.code for u in list_units(session=session, active_only=False) if u.id is not None}


def require_unit(*, session: Session, code: str, field: str) -> OrgUnit:
    """The unit with this mã định danh (active or not: old figures still name it), or InvalidInput."""
    unit = unit_by_code(session=session, code=code.strip())
    if unit is None:
        raise InvalidInput(f"Không có đơn vị mã “{code}”.", field=field)
    return unit


def office_unit(*, session: Session) -> OrgUnit:
    """The one office unit (VP UBND tỉnh); config validation guarantees it exists."""
    unit = memo(
        session, "office_unit", lambda: session.exec(select(OrgUnit).where(OrgUnit.kind == UnitKind.OFFICE)).first()
    )
    assert unit is not None, "config/org.yaml has no office unit"
    return unit


def resolve_coordinating_unit(*, session: Session, code: str, label: str, field: str = "coordinators") -> OrgUnit:
    """The active, non-office unit with this code (a sub-unit may coordinate), or InvalidInput
    naming the field."""
    unit = memo(
        session,
        ("unit_by_code", code.strip()),
        lambda: session.exec(select(OrgUnit).where(OrgUnit.code == code.strip())).first(),
    )
    if unit is None:
        raise InvalidInput(f"{label}: không có đơn vị mã '{code}'.", field=field)
    if not unit.active:
        raise InvalidInput(f"{label}: đơn vị '{unit.short_name}' đã ngừng hoạt động.", field=field)
    if unit.kind is UnitKind.OFFICE:
        raise InvalidInput(f"{label}: không giao nhiệm vụ cho chính Văn phòng UBND tỉnh.", field=field)
    return unit


def resolve_lead_unit(*, session: Session, code: str, label: str, field: str = "lead") -> OrgUnit:
    """The unit with this code if it may lead a task (``LEAD_KINDS``, active), or InvalidInput
    naming the field: for a new assignment, a wrong-unit re-routing and a replacement alike, so
    the JSON API cannot give a phòng what the pages never offer."""
    unit = resolve_coordinating_unit(session=session, code=code, label=label, field=field)
    if unit.kind not in LEAD_KINDS:
        parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id is not None else None
        of_parent = f" của {parent.short_name}" if parent is not None else ""
        raise InvalidInput(
            f"{label}: '{unit.short_name}' là phòng, đơn vị trực thuộc{of_parent}, không được giao chủ trì. "
            "Văn phòng UBND tỉnh giao nhiệm vụ cho sở, ban, ngành hoặc UBND cấp huyện; phòng nhận việc "
            "qua bút phê của lãnh đạo đơn vị cấp trên.",
            field=field,
        )
    return unit
