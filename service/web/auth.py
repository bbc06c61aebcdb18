"""Signing in to the web pages with an API key, kept in the Flask session.

The key itself is never stored in the session, only its id, role and name.
Each request looks the key up again, so revoking a key ends its sessions too.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from service.actors import Actor

SESSION_KEYS = ("key_id", "role", "name")


def sign_in(token: str) -> dict | None:
    """Check the key; on success remember who signed in. Returns the key record or None."""
    record = _keys().authenticate(token.strip()) if token and token.strip() else None
    if record is None:
        return None
    session.clear()
    session.permanent = True
    session.update(key_id=record["id"], role=record["role"], name=record["name"])
    return record


def sign_out() -> None:
    session.clear()


def current_actor() -> Actor | None:
    """The signed-in actor, or None (also when the key was revoked since)."""
    if "actor" in g:
        return g.actor
    actor = None
    key_id = session.get("key_id")
    if key_id:
        record = _keys().active(key_id)
        if record is None:
            session.clear()
        else:
            actor = Actor.from_key(record)
    g.actor = actor
    return actor


def signed_in(action: str | None = None):
    """View decorator: sign-in page for visitors; 403 page when the role may not do ``action``."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return redirect(url_for("web.sign_in_page", next=request.full_path.rstrip("?")))
            if action and not actor.can(action):
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def _keys():
    return current_app.extensions["dossier"].keys
