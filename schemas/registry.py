"""Finds every template definition: each module in ``schemas.templates`` exposes ``TEMPLATE``.

Adding a paper form means adding one module there; nothing else changes.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from . import templates as _package
from .model import Template


class UnknownTemplate(LookupError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@cache
def all_templates() -> dict[str, Template]:
    found: dict[str, Template] = {}
    for module_info in sorted(pkgutil.iter_modules(_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_package.__name__}.{module_info.name}")
        template = getattr(module, "TEMPLATE", None)
        if isinstance(template, Template):
            found[template.name] = template
    return found


def get_template(name: str) -> Template:
    try:
        return all_templates()[name]
    except (KeyError, TypeError):
        raise UnknownTemplate(str(name)) from None
