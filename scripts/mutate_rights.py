"""Prove the permission matrix catches a change of any one cell of the table of rights.

For each action (or each cell, with --every-cell), flip one cell of access/rights.py's TABLE,
run the matrix tests for that action's routes and the policy probe, and expect a failure; the
file is restored whatever happens. Prints one line per mutation and exits 1 if any survived.

    .venv/bin/python scripts/mutate_rights.py [--every-cell] [--action ACTION ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RIGHTS = ROOT / "layers" / "core" / "eventlens" / "access" / "rights.py"
ROLES = ["VIEWER", "MEMBER", "CONTRIBUTOR", "EDITOR", "ADMIN", "SUPER_ADMIN"]
ROW = re.compile(r'^(    "(?P<action>[a-z_.]+)":\s+\()(?P<cells>[^)]*)(\),.*)$', re.M)


def mutations(text: str, every_cell: bool) -> list[tuple[str, int]]:
    found = []
    for match in ROW.finditer(text):
        cells = [c.strip() for c in match.group("cells").split(",")]
        if every_cell:
            found += [(match.group("action"), i) for i in range(len(cells))]
        else:  # the boundary: the lowest role allowed loses it (or, none allowed, SUPER_ADMIN gains it)
            allowed = [i for i, c in enumerate(cells) if c == "X"]
            found.append((match.group("action"), allowed[0] if allowed else len(cells) - 1))
    return found


def flipped(text: str, action: str, index: int) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("action") != action:
            return match.group(0)
        cells = match.group("cells").split(",")
        cell = cells[index]
        cells[index] = cell.replace("X", "_") if "X" in cell else cell.replace("_", "X")
        return match.group(1) + ",".join(cells) + match.group(4)

    return ROW.sub(replace, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every-cell", action="store_true")
    parser.add_argument("--action", action="append", help="only these actions' rows")
    args = parser.parse_args()
    original = RIGHTS.read_text()
    survived = []
    try:
        for action, index in mutations(original, args.every_cell):
            if args.action and action not in args.action:
                continue
            RIGHTS.write_text(flipped(original, action, index))
            selector = action.replace(".", "_")
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "-p",
                    "no:cacheprovider",
                    "tests/integration/api/test_permission_matrix.py",
                    "tests/integration/access/test_policies_mirror_the_table.py",
                    "tests/unit/test_roles_doc.py",
                    "-k",
                    f"({selector} and (each_role or each_policy)) or installation",
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            caught = result.returncode == 1
            tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-200:]
            print(f"{action:<20} {ROLES[index]:<12} {'caught' if caught else 'SURVIVED'}: {tail}", flush=True)
            if not caught:
                survived.append((action, ROLES[index]))
    finally:
        RIGHTS.write_text(original)
    sys.exit(1 if survived else 0)


if __name__ == "__main__":
    main()
