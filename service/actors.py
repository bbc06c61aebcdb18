"""Who is calling, and what each role may do.

Roles map to permissions in one table so every check in the code names an
action, never a role.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass

ROLES = ("admin", "clerk", "viewer", "manager", "archivist", "auditor")

# Scoped actions: "dossier.read.all" reads every dossier (without it, only the actor's
# team's: managers); "dossier.update.any" changes any dossier (without it, only the
# ones the actor created: clerks). "confidential.read" is the clearance that unmasks
# confidential fields. Lending: clerk requests, manager or archivist approves or
# refuses, archivist lends and takes back. Destruction, holds and retention changes
# belong to the archivist; admin keeps keys and the data operations it always had, but
# neither lends nor destroys (separation of duties).
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"dossier.read", "dossier.read.all", "dossier.create", "dossier.update",
                        "dossier.update.any", "dossier.print", "dossier.export", "dossier.import",
                        "confidential.read",
                        "consent.manage", "keys.manage", "settings.manage", "audit.read",
                        "retention.read"}),
    "clerk": frozenset({"dossier.read", "dossier.read.all", "dossier.create", "dossier.update",
                        "dossier.import", "consent.manage", "loan.read", "loan.request"}),
    "manager": frozenset({"dossier.read", "confidential.read", "loan.read",
                          "loan.approve", "retention.read"}),
    "archivist": frozenset({"dossier.read", "dossier.read.all", "dossier.update.any", "dossier.print",
                            "dossier.export", "confidential.read", "consent.manage", "loan.read",
                            "loan.approve", "loan.lend", "loan.return", "retention.read",
                            "retention.manage", "dossier.destroy"}),
    "viewer": frozenset({"dossier.read", "dossier.read.all"}),
    "auditor": frozenset({"audit.read"}),
}


@dataclass(frozen=True)
class Actor:
    id: str          # API key id or user name; recorded as created_by / updated_by
    role: str
    name: str = ""
    team: str | None = None  # the key's team (dossier keys create --team); dossiers record it

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())

    @classmethod
    def from_key(cls, record: dict) -> Actor:
        """The actor of a verified API key (its public record): API requests and web sessions alike."""
        return cls(id=record["id"], role=record["role"], name=record["name"], team=record.get("team"))




def command_line_actor(role: str) -> Actor:
    """Whoever runs a `dossier` command, acting in ``role``; audited as ``cli:<login>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "operator"
    return Actor(id=f"cli:{user}", role=role, name=f"命令行 {user}")
