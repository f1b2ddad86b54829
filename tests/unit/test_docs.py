"""The documents other people rely on stay in step with the code."""

from __future__ import annotations

from pathlib import Path

from pos.ledger.projections import EVENT_TYPES
from pos.tui.keys import ACTIONS

ROOT = Path(__file__).parents[2]


def test_every_event_type_is_documented_in_docs_ledger() -> None:
    text = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    missing = [name for name in EVENT_TYPES if f"### `{name}`" not in text]
    assert not missing


def test_the_readme_lists_every_remappable_action() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [action.name for action in ACTIONS if action.name not in text]
    assert not missing
