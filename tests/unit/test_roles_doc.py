"""docs/roles.md shows the table of rights as the code has it."""

from __future__ import annotations

from pathlib import Path

from eventlens.access.rights import ACTIONS, ROLES, TABLE, markdown_table, rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "roles.md"


def test_the_roles_page_shows_the_table_the_code_checks() -> None:
    text = DOC.read_text()
    generated = text.split("<!-- generated: access.rights.markdown_table() -->\n")[1].split(
        "\n<!-- end generated -->"
    )[0]
    assert generated == markdown_table()
    assert all(f"`{action}`" in text.split("## What each action covers")[1] for action in ACTIONS)


def test_each_role_may_do_everything_the_one_below_it_may() -> None:
    for action in ACTIONS:
        cells = TABLE[action]
        assert list(cells) == sorted(cells), f"{action}: a higher role may less than a lower one"


def test_the_database_copy_is_every_allowed_cell() -> None:
    assert len(rows()) == sum(sum(cells) for cells in TABLE.values())
    assert {role for role, _ in rows()} <= {role.value for role in ROLES}


def test_only_a_super_admin_may_manage_the_installation() -> None:
    """Nobody holds a lower role for the installation (grants allow SUPER_ADMIN only there), so a
    lower cell in this row could never be reached through a route: it must stay empty."""
    from eventlens.access.rights import Role, roles_allowed

    assert roles_allowed("installation.manage") == {Role.SUPER_ADMIN}
