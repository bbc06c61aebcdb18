"""Who is calling, and what each role may do.

Roles map to permissions in one table so every check in the code names an
action, never a role.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "clerk", "viewer", "manager", "archivist", "auditor")

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"dossier.read", "dossier.create", "dossier.update", "dossier.print",
                        "confidential.read", "keys.manage"}),
    "clerk": frozenset({"dossier.read", "dossier.create", "dossier.update", "dossier.print",
                        "confidential.read"}),
    "manager": frozenset({"dossier.read", "dossier.print", "confidential.read"}),
    "archivist": frozenset({"dossier.read", "dossier.print", "confidential.read"}),
    "viewer": frozenset({"dossier.read"}),
    "auditor": frozenset(),
}


@dataclass(frozen=True)
class Actor:
    id: str          # API key id or user name; recorded as created_by / updated_by
    role: str
    name: str = ""

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())


SYSTEM = Actor(id="system", role="admin", name="命令行")
