"""The settings model and the documented example pos.toml agree, key for key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pos.config import Settings
from pos.config.describe import field_docs
from pos.config.load import load_config, parse_settings
from pos.errors import ConfigError

EXAMPLE = Path(__file__).parents[2] / "pos.toml"


def documented_keys(model: type[BaseModel], prefix: str = "") -> dict[str, str | None]:
    keys: dict[str, str | None] = {}
    docs = field_docs(model)
    for name, field in model.model_fields.items():
        keys[prefix + name] = docs.get(name)
        annotation: Any = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                keys.update(documented_keys(candidate, f"{prefix}{name}."))
    return keys


def example_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in table.items():
        keys.add(prefix + name)
        if isinstance(value, dict):
            keys |= example_keys(value, f"{prefix}{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:
                keys |= example_keys(item, f"{prefix}{name}.")
    return keys


def test_every_setting_has_a_docstring() -> None:
    missing = [key for key, text in documented_keys(Settings).items() if not text]
    assert not missing


def optional_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Keys with no default (None): device addresses and paths."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if field.default is None:
            keys.add(prefix + name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            keys |= optional_keys(field.annotation, f"{prefix}{name}.")
    return keys


def test_the_example_pos_toml_shows_every_key_and_comments_out_the_optional_ones() -> None:
    with EXAMPLE.open("rb") as stream:
        shown = example_keys(tomllib.load(stream))
    optional = optional_keys(Settings)
    assert {"till.data_dir", "printer.path", "scanner.url"} <= optional
    assert set(documented_keys(Settings)) - shown == optional
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in optional:
        assert f"# {key.rsplit('.', 1)[1]} =" in text, key


def test_the_example_is_the_demo_store(tmp_path: Path) -> None:
    from_file = load_config(EXAMPLE, tmp_path, environ={}).settings
    assert from_file == Settings()


def test_settings_are_frozen() -> None:
    settings = Settings()
    try:
        settings.store.name = "x"  # type: ignore[misc]
    except ValueError:
        return
    raise AssertionError("settings could be changed after validation")


@pytest.mark.parametrize(
    "url", ["sandbox", "https://api.mch.weixin.qq.com", "http://127.0.0.1:8080"]
)
def test_a_wallet_gateway_is_the_sandbox_or_an_http_url(url: str, tmp_path: Path) -> None:
    settings = parse_settings({"payments": {"wechat": {"gateway_url": url}}}, tmp_path / "pos.toml")
    assert settings.payments.wechat.gateway_url == url


@pytest.mark.parametrize(
    "url", ["api.mch.weixin.qq.com", "ftp://gateway", "http://", "http://127.0.0.1:99999"]
)
def test_a_wallet_gateway_that_is_no_http_url_is_named_in_the_error(
    url: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({"payments": {"wechat": {"gateway_url": url}}}, tmp_path / "pos.toml")
    assert "[payments.wechat] gateway_url" in raised.value.message
    assert 'must be "sandbox" or an http(s) URL' in raised.value.message


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"kind": "tty"}, '[customer_display]: kind = "tty" needs path'),
        ({"kind": "screen"}, "[customer_display] kind"),
        ({"kind": "tty", "path": "/dev/tty2", "timeout_s": 0}, "[customer_display] timeout_s"),
        ({"kind": "file", "outdir": "x"}, "[customer_display] outdir: unknown key"),
    ],
)
def test_a_bad_customer_display_is_named_in_the_error(
    table: dict[str, Any], named: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({"customer_display": table}, tmp_path / "pos.toml")
    assert named in raised.value.message
