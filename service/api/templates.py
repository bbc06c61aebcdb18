"""GET /api/v1/templates: the paper forms the service knows, with their JSON Schema."""
from __future__ import annotations

import dataclasses

from flask import url_for
from flask_smorest import Blueprint

from schemas.jsonschema import json_schema
from schemas.registry import all_templates, get_template

from .auth import require
from .docs_schemas import ErrorResponse, TemplateSummary
from .responses import json_response

blp = Blueprint("templates", __name__, url_prefix="/api/v1/templates", description="档案模板（纸质表单的定义）")


@blp.route("")
@blp.response(200, TemplateSummary(many=True))
def list_templates():
    """List templates"""
    require("dossier.read")
    return json_response([
        {"name": t.name, "title": t.title, "display_title": t.display_title, "source": t.source,
         "links": {"self": url_for("templates.show_template", name=t.name)}}
        for t in all_templates().values()
    ])


@blp.route("/<name>")
@blp.response(200)
@blp.alt_response(404, schema=ErrorResponse)
def show_template(name: str):
    """A template's definition and the JSON Schema of its data"""
    require("dossier.read")
    template = get_template(name)
    return json_response({"definition": template_definition(template), "json_schema": json_schema(template)})


def template_definition(template) -> dict:
    """The dataclasses as plain JSON, each item tagged with its kind."""
    def convert(obj):
        if dataclasses.is_dataclass(obj):
            out = {f.name: convert(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
            if hasattr(obj, "kind"):
                out["kind"] = obj.kind
            return out
        if isinstance(obj, tuple):
            return [convert(v) for v in obj]
        return obj
    return convert(template)
