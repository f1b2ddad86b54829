"""pos.toml: the settings model and the loader that validates it."""

from pos.config.load import Config, load_config
from pos.config.settings import Settings

__all__ = ["Config", "Settings", "load_config"]
