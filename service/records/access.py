"""Which dossiers an actor may touch, beyond what its role allows in general.

Roles say *what* (service/actors.py); this module says *which*:
- clerks change only the dossiers they created (``created_by`` = key id), unless the
  role has ``dossier.update.any``;
- managers read only their team's dossiers (``team`` recorded at creation from the
  creating key's team), unless the role has ``dossier.read.all``. A manager key
  without a team oversees every team.
"""
from __future__ import annotations

from service.actors import Actor
from service.records.errors import AccessDenied


def read_scope(actor: Actor) -> dict:
    """Extra list filters that confine ``actor`` to the dossiers it may read."""
    if actor.can("dossier.read.all") or actor.team is None:
        return {}
    return {"team": actor.team}


def check_read(actor: Actor, document: dict) -> None:
    if read_scope(actor) and document.get("team") != actor.team:
        raise AccessDenied(f"档案 {document.get('archive_no')} 不属于您的团队（{actor.team}），无权查阅")


def may_change(actor: Actor, document: dict) -> bool:
    """Clerks change only the dossiers they created (the pages ask before offering to)."""
    return actor.can("dossier.update.any") or document.get("created_by") == actor.id


def check_owner(actor: Actor, document: dict) -> None:
    if may_change(actor, document):
        return
    raise AccessDenied(f"档案 {document.get('archive_no')} 不是您建立的，只能由建档人或系统管理员（admin）修改")
