"""A workflow as a Graphviz DOT diagram (drawn from the same config the engine runs)."""

from __future__ import annotations

from services.config.loader import AppConfig


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
        where = " (đơn vị cha)" if tr.actor_unit.value == "parent" else ""
        label = f"B{tr.step}: {tr.label}\\n[{roles}{where}]"
        for source in tr.from_states:
            lines.append(f"  {_quote(source)} -> {_quote(tr.to)} [label={_quote(label)}, fontsize=10];")
    lines.append("}")
    return "\n".join(lines)
