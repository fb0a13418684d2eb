"""The permission table as Markdown: `flask access matrix` writes it to docs/PERMISSIONS.md."""

from __future__ import annotations

from casemgmt.access.policy import (
    ACTION_MEANINGS,
    CANDIDATE_ROLE_ACTIONS,
    PII_ACTIONS,
    POLICY,
    SCOPE_MEANINGS,
    Action,
    Role,
    Scope,
)

NOBODY = "—"
#: marks on a cell: the task must be offered to that role; the user must be allowed to see personal data
CANDIDATE_MARK, PII_MARK = "†", "‡"


def scope_label(scope: Scope) -> str:
    """Return a cell's scope as text: "unit + task_holder"."""
    return " + ".join(str(member.name).lower() for member in scope)


def _cell(action: Action, role: Role) -> str:
    scope = POLICY[action].get(role)
    if scope is None:
        return NOBODY
    marks = (CANDIDATE_MARK if action in CANDIDATE_ROLE_ACTIONS else "") + (PII_MARK if action in PII_ACTIONS else "")
    return scope_label(scope) + marks


def _table() -> list[str]:
    roles = list(Role)
    lines = ["| action | " + " | ".join(roles) + " |", "| --- |" + " --- |" * len(roles)]
    for action in Action:
        lines.append(f"| `{action}` | " + " | ".join(_cell(action, role) for role in roles) + " |")
    return lines


def matrix_markdown() -> str:
    """Return docs/PERMISSIONS.md: actions x roles with the scope in each cell, and what each scope and action means."""
    header = [
        "# Permissions",
        "",
        "Written by `flask access matrix` from the table in `casemgmt/access/policy.py`; do not edit by hand",
        "(tests/access/test_permission_matrix.py fails when this file is stale).",
        "",
        f"{len(Action)} actions × {len(Role)} roles. A cell names the scope in which the role may do the action;",
        f"{NOBODY} means never. Another region's object answers 404, one outside the scope 403.",
        f"{CANDIDATE_MARK} only on a task offered to that role (its candidate role). "
        f"{PII_MARK} only for users allowed to see personal data (`flask users create --pii`).",
        "",
    ]
    scopes = ["", "## Scopes", ""] + [f"- **{scope_label(s)}**: {text}" for s, text in SCOPE_MEANINGS.items()]
    actions = ["", "## Actions", ""] + [f"- `{a}`: {ACTION_MEANINGS[a][0]}" for a in Action]
    return "\n".join(header + _table() + scopes + actions) + "\n"
