"""Every name a report lists (a coupon's purpose, an action a manager approved) is
printed in words, in both languages, not as its identifier."""

from __future__ import annotations

import pytest

from pos.domain.coupons import Purpose
from pos.overrides import ACTIONS
from receipts.report_words import report_words


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_purpose_and_every_manager_action_has_words(lang: str) -> None:
    said = report_words(lang)
    keys = [f"purpose.{p.value}" for p in Purpose] + [f"action.{a}" for a in sorted(ACTIONS)]
    missing = [key for key in keys if key not in said]
    assert not missing
    assert all(said[key] and said[key] != key.split(".", 1)[1] for key in keys if lang == "zh-CN")
