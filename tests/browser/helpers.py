"""What the browser tests share: the widths and languages every feature is seen at, and the
geometry of what a person sees (drawn, inside its container)."""

import pytest
from playwright.sync_api import expect

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


def overlaps(a, b) -> bool:
    """Whether two drawn boxes share any pixel."""
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def log_in(page, username, password, language, width, height=800):
    """``username`` signed in, reading ``language`` on a screen ``width`` px wide."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url("**/crm/")
    if language == "ar":
        page.select_option("#language-select", "ar")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.wait_for_load_state("load")  # the page's scripts (shortcuts, htmx) are running
    page.set_viewport_size({"width": width, "height": height})
    return page
