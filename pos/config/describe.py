"""The validated configuration as rows a technician reads: key, value, where it came from.

Used by `pos config show` and the technician screen. A value set in pos.toml says
so; anything else is the built-in default. Secrets are never shown.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from pos.config.load import Config

SECRET_ENDINGS = ("_key", "token", "secret", "password")
"""A key ending so is shown as *** (payment API keys and device tokens)."""


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    """Dotted, as in pos.toml: printer.width_mm."""
    value: str
    origin: str
    """The pos.toml path, or "default"."""
    doc: str


def describe(config: Config) -> list[Row]:
    origin = str(config.source) if config.source is not None else "default"
    return list(_rows(config.settings, "", origin))


def _rows(model: BaseModel, prefix: str, origin: str) -> Iterator[Row]:
    docs = field_docs(type(model))
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            inner = origin if name in model.model_fields_set else "default"
            yield from _rows(value, f"{key}.", inner)
            continue
        shown = "***" if name.endswith(SECRET_ENDINGS) and value else _shown(value)
        where = origin if name in model.model_fields_set else "default"
        yield Row(key, shown, where, docs.get(name, "").split("\n")[0])


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Each field's docstring (the string under it in its class, or in a base class),
    by field name; fields without one are left out."""
    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if klass is not BaseModel and issubclass(klass, BaseModel):
            docs.update(_class_docs(klass.__module__).get(klass.__qualname__, {}))
    return {name: docs[name] for name in model.model_fields if name in docs}


@cache
def _class_docs(module: str) -> dict[str, dict[str, str]]:
    """The attribute docstrings of each top-level class of `module`, read from its source."""
    classes: dict[str, dict[str, str]] = {}
    for node in ast.parse(inspect.getsource(sys.modules[module])).body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = classes[node.name] = {}
        for field, after in itertools.pairwise(node.body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(after.value.value)
    return classes


def _shown(value: object) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} entries"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "(none)"
    return "(not set)" if value is None else str(value)
