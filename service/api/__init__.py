"""The HTTP API under /api/v1: flask-smorest blueprints, OpenAPI, docs page, errors, auth."""
from __future__ import annotations

import swagger_ui_bundle
from flask import Blueprint, Flask, request, send_from_directory
from flask_smorest import Api

from . import auth, errors
from .bulk import blp as bulk_blp
from .docs_schemas import ErrorResponse
from .dossiers import blp as dossiers_blp
from .records import blp as records_blp
from .templates import blp as templates_blp
from .verify import blp as verify_blp


def _refuse_repeated_query_names() -> None:
    """``?template=x&template=y`` is a 400: no route takes a list, and which one won was arbitrary."""
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        raise errors.ApiError(400, "invalid_query", f"查询参数重复：{'、'.join(repeated)}",
                              {name: ["只能出现一次"] for name in repeated})


API_BLUEPRINTS = (templates_blp, dossiers_blp, verify_blp, records_blp, bulk_blp)
for _blueprint in API_BLUEPRINTS:  # once, at import: a blueprint cannot be set up again after its first app
    _blueprint.before_request(auth.authenticate)
    _blueprint.before_request(_refuse_repeated_query_names)


class DossierApi(Api):
    """flask-smorest's Api with our one error shape instead of its own."""

    ERROR_SCHEMA = ErrorResponse  # documents {"error": {"code", "message", "fields"}}, what we answer

    def handle_http_exception(self, error):
        return errors.http_error(error)


def _docs_assets() -> Blueprint:
    """Swagger UI from the installed package: the docs page loads nothing from a CDN."""
    assets = Blueprint("docs_assets", __name__)

    @assets.route("/api/v1/docs/assets/<path:filename>")
    def docs_asset(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    return assets


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="客户档案服务 Client dossier service",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "dossier keys create --role ROLE"}}},
            "security": [{"bearer": []}]},
    )
    api = DossierApi(app)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(_docs_assets())
    errors.register(app)
