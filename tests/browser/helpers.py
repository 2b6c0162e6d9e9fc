"""What the browser tests share: the widths and languages every feature is seen at, and the
geometry of what a person sees (drawn, inside its container)."""

import pytest

WIDTHS = pytest.mark.parametrize("width", [1366, 390])
LANGUAGES = pytest.mark.parametrize("language", ["en", "ar"])
SLACK = 1


def box(locator):
    found = locator.bounding_box()
    assert found, "not drawn"
    return found


def assert_inside(inner, outer):
    assert inner["x"] >= outer["x"] - SLACK
    assert inner["x"] + inner["width"] <= outer["x"] + outer["width"] + SLACK
