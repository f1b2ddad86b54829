"""The sale screen's actions and their keys, remappable in pos.toml ([ui.keys]).

F-keys carry the main actions so a cashier never needs the mouse; the footer and the
help screen list them from this table, in the current language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

from pos.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    key: str
    label: str
    """i18n key of the short label."""
    show: bool = True
    """Whether the footer shows it (the help screen shows every action)."""


# In order of use: the footer shows as many as fit from the left at 80 columns, so
# paying and help come first; the help screen lists them all.
ACTIONS: tuple[Action, ...] = (
    Action("pay_cash", "f12", "action.pay_cash"),
    Action("help", "f1", "action.help"),
    Action("quantity", "f2", "action.quantity"),
    Action("remove", "f8", "action.remove"),
    Action("suspend", "f6", "action.suspend"),
    Action("resume", "f7", "action.resume"),
    Action("reprint", "f9", "action.reprint"),
    Action("lookup", "f3", "action.lookup"),
    Action("discount", "f4", "action.discount"),
    Action("price", "f5", "action.price"),
    Action("no_sale", "f10", "action.no_sale"),
    Action("clear", "f11", "action.clear"),
    Action("split", "ctrl+t", "action.split", show=False),
    Action("store_qr", "ctrl+g", "action.store_qr", show=False),
    Action("returns", "ctrl+r", "action.returns", show=False),
    Action("member", "ctrl+y", "action.member", show=False),
    Action("points", "ctrl+p", "action.points", show=False),
    Action("member_view", "ctrl+n", "action.member_view", show=False),
    Action("end_of_day", "ctrl+f", "action.end_of_day", show=False),
    Action("language", "ctrl+l", "action.language", show=False),
    Action("sign_out", "ctrl+o", "action.sign_out", show=False),
)


def keymap(remap: Mapping[str, str]) -> dict[str, str]:
    """Action name -> key, with pos.toml's remapping applied and checked."""
    keys = {action.name: action.key for action in ACTIONS}
    unknown = sorted(set(remap) - set(keys))
    if unknown:
        raise ConfigError(
            "Invalid configuration",
            f"[ui.keys] {', '.join(unknown)}: unknown action; allowed: {', '.join(keys)}",
        )
    keys.update({name: key.lower() for name, key in remap.items()})
    taken: dict[str, str] = {}
    for name, key in keys.items():
        if key in taken:
            raise ConfigError(
                "Invalid configuration",
                f"[ui.keys] {name} = {key!r}: already the key of {taken[key]}",
            )
        taken[key] = name
    return keys


def bindings(keys: Mapping[str, str], label: Callable[[str], str]) -> list[Binding]:
    """Textual bindings for the actions; `label(i18n_key)` gives the footer text."""
    return [
        Binding(keys[action.name], action.name, label(action.label), show=action.show)
        for action in ACTIONS
    ]
