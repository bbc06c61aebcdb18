"""API-key authentication for every /api route, and permission checks by action."""
from __future__ import annotations

from flask import current_app, g, request

from service.actors import Actor

from .errors import ApiError

PUBLIC_PREFIXES = ("/api/v1/openapi.json", "/api/v1/docs", "/api/v1/verify/")


def authenticate() -> None:
    """before_request hook: sets g.actor or refuses with 401."""
    if request.path.startswith(PUBLIC_PREFIXES):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "请求需要 API 密钥：请加上请求头 Authorization: Bearer <密钥>",
                       headers={"WWW-Authenticate": 'Bearer realm="dossier"'})
    record = current_app.extensions["dossier"].keys.authenticate(token.strip())
    if record is None:
        raise ApiError(401, "invalid_key", "API 密钥无效或已停用",
                       headers={"WWW-Authenticate": 'Bearer realm="dossier", error="invalid_token"'})
    g.actor = Actor.from_key(record)


def require(action: str) -> Actor:
    actor: Actor = g.actor
    if not actor.can(action):
        raise ApiError(403, "forbidden", f"角色“{actor.role}”没有权限执行此操作（{action}）")
    return actor
