"""Reading pos.toml into a `Config`, or refusing to start with a precise reason.

Where the file comes from, in order: `--config FILE`, the `POS_CONFIG` environment
variable, else the built-in demo store. The data directory comes from `--data DIR`,
then `[till] data_dir` (relative to the file), then the user's data directory.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ValidationError

from pos.config.settings import Settings
from pos.errors import ConfigError

CONFIG_ENV = "POS_CONFIG"
LEDGER_FILE = "ledger.db"


@dataclass(frozen=True, slots=True)
class Config:
    """Validated settings plus where they came from and where the data lives."""

    settings: Settings
    source: Path | None
    """The pos.toml read, or None for the built-in demo store."""
    data_dir: Path

    @property
    def is_demo(self) -> bool:
        return self.source is None

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / LEDGER_FILE

    @property
    def receipts_dir(self) -> Path:
        """Where the simulated printer writes receipts."""
        out_dir = self.settings.printer.out_dir
        return self.path(out_dir) if out_dir is not None else self.data_dir / "receipts"

    def path(self, configured: Path) -> Path:
        """A path from pos.toml: relative paths are relative to the file, as written."""
        base = self.source.parent if self.source is not None else Path.cwd()
        return (base / configured.expanduser()).resolve()


def load_config(
    config_file: Path | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Config:
    """Return the configuration to run with; raise ConfigError naming file and key."""
    if config_file is None and environ.get(CONFIG_ENV):
        config_file = Path(environ[CONFIG_ENV])
    if config_file is None:
        settings = Settings()
    else:
        settings = parse_settings(_read_toml(config_file), config_file)
    return Config(
        settings=settings,
        source=config_file,
        data_dir=_resolve_data_dir(settings, config_file, data_dir),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError("Configuration not found", f"{path}: no such file.") from None
    except IsADirectoryError:
        raise ConfigError("Configuration not readable", f"{path} is a directory.") from None
    except PermissionError:
        raise ConfigError("Configuration not readable", f"{path}: permission denied.") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            "Configuration is not UTF-8", f"{path}: byte {error.start} is not valid UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("Configuration is not valid TOML", f"{path}: {error}.") from None


def parse_settings(document: dict[str, Any], path: Path) -> Settings:
    """Validate a parsed TOML document; the first problems are named with file and key."""
    try:
        return Settings.model_validate(document)
    except ValidationError as error:
        problems = [_describe(path, problem) for problem in error.errors()]
        shown = problems[:5]
        more = len(problems) - len(shown)
        if more:
            shown.append(f"... and {more} more")
        raise ConfigError("Invalid configuration", "\n".join(shown)) from None


def _describe(path: Path, problem: Mapping[str, Any]) -> str:
    location = [part for part in problem["loc"] if part != "__root__"]
    key = _key_name(location)
    value = problem.get("input")
    kind = problem["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(location[:-1]))
        if len(location) == 1:
            return f"{path}: [{location[0]}]: unknown table; allowed tables: {allowed}"
        return f"{path}: {key}: unknown key; allowed here: {allowed}"
    if kind == "missing":
        return f"{path}: {key}: required key is missing"
    detail = problem["msg"].removeprefix("Value error, ")
    if isinstance(value, dict):
        # A rule across keys of one table (e.g. kind = "file" needs path).
        return f"{path}: [{'.'.join(str(part) for part in location)}]: {detail}"
    return f"{path}: {key} = {value!r}: {detail}"


def _key_name(location: list[int | str]) -> str:
    """('store', 'day_boundary') -> [store] day_boundary; list items as [[scanner.embedded]] #2."""
    if not location:
        return "(top level)"
    tables: list[str] = []
    name = ""
    for part in location:
        if isinstance(part, int):
            tables[-1] = f"{tables[-1]} #{part + 1}"
        else:
            tables.append(part)
    *table_parts, name = tables
    if not table_parts:
        return name if "#" not in name else f"[{name}]"
    return f"[{'.'.join(table_parts)}] {name}"


def _allowed_keys(location: list[int | str]) -> list[str]:
    model: type[BaseModel] = Settings
    for part in location:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        model = _model_of(annotation)
    return list(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        if isinstance(argument, type) and issubclass(argument, BaseModel):
            return argument
    raise LookupError(annotation)


def _resolve_data_dir(settings: Settings, source: Path | None, override: Path | None) -> Path:
    if override is not None:
        return override.expanduser().resolve()
    configured = settings.till.data_dir
    if configured is not None:
        base = source.parent if source is not None else Path.cwd()
        return (base / configured.expanduser()).resolve()
    return Path(platformdirs.user_data_dir("pos", appauthor=False))
