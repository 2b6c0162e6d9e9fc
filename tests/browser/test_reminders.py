"""A task's due time and reminder in a real browser, at 1366 px and 390 px, in English and
Arabic: the form's fields drawn in reading order inside the screen, the task's page saying when
it is due and when its reminder goes, and the reminder arriving in the bell."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from crm.notifications import reminders

from .helpers import LANGUAGES, WIDTHS, assert_inside, box

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

REMINDER_LABEL = {"en": "1 hour before", "ar": "قبل ساعة"}
REMINDER_TEXT = {
    "en": "Reminder: the task Send the quote",
    "ar": "تذكير: موعد المهمة Send the quote",
}


@LANGUAGES
@WIDTHS
def test_a_due_time_and_reminder_are_set_seen_and_told(rep_page, crm_data, language, width):
    page = rep_page
    task = crm_data.task
    page.goto(reverse("crm:task-update", args=[task.pk]))
    fields = [page.locator(f"#id_{name}") for name in ("due_date", "due_time", "reminder")]
    screen = {"x": 0, "width": width}
    for field in fields:
        expect(field).to_be_visible()
        assert_inside(box(field), screen)
    date, time, reminder = (box(field) for field in fields)
    assert date["y"] <= time["y"] <= reminder["y"]  # in the form's reading order
    if date["y"] == time["y"]:  # side by side: in the language's direction
        assert (time["x"] > date["x"]) == (language == "en")

    due = timezone.localtime() + datetime.timedelta(minutes=30)
    fields[0].fill(due.date().isoformat())
    fields[1].fill(due.strftime("%H:%M"))
    fields[2].select_option(label=REMINDER_LABEL[language])
    page.locator("form[novalidate] button[type=submit]").click()
    page.wait_for_url(f"**{task.get_absolute_url()}")
    shown = page.locator("dd", has_text=REMINDER_LABEL[language])
    expect(shown).to_be_visible()
    expect(page.locator("dd", has_text=due.strftime("%H:%M")).first).to_be_visible()

    assert reminders.send_reminders() == 1  # the job, as beat runs it every minute
    page.goto(reverse("crm:dashboard"))
    page.locator("#bell-button").click()
    item = page.locator("#bell-list").get_by_text(REMINDER_TEXT[language])
    expect(item).to_be_visible()
    assert_inside(box(item), screen)
