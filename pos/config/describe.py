"""The validated configuration as rows a technician reads: key, value, where it came from.

Used by `pos config show` and the technician screen. A value set in pos.toml says
so; anything else is the built-in default. Secrets are never shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            inner = origin if name in model.model_fields_set else "default"
            yield from _rows(value, f"{key}.", inner)
            continue
        shown = "***" if name.endswith(SECRET_ENDINGS) and value else _shown(value)
        where = origin if name in model.model_fields_set else "default"
        yield Row(key, shown, where, (field.description or "").split("\n")[0])


def _shown(value: object) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        return f"{len(value)} entries"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{key}={item}" for key, item in value.items()) or "(none)"
    return "(not set)" if value is None else str(value)
