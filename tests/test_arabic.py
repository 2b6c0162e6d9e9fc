"""Arabic without rough edges, as the pages read: free text in its own direction, history words
that say what happened, plural forms, and one colour per status with units on every axis."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from crm.factories import LeadFactory
from crm.models import LeadStatus, UserPreference
from crm.models.choices import LEAD_STATUS_COLOURS

pytestmark = pytest.mark.django_db


@pytest.fixture
def arabic_client(rep_client, rep):
    UserPreference.objects.remember_language(user=rep, language="ar")
    session = rep_client.session
    session["crm_language"] = "ar"
    session.save()
    return rep_client


def test_free_text_reads_in_its_own_direction(arabic_client, rep):
    lead = LeadFactory(owner=rep, name="Acme Inc.", notes="Referred by a friend.")
    content = arabic_client.get(lead.get_absolute_url()).content.decode()
    assert '<html lang="ar" dir="rtl">' in content
    assert '<p class="mb-0" dir="auto">Referred by a friend.</p>' in content
    assert '<bdi dir="auto">Acme Inc.</bdi>' in content
    content = arabic_client.get(reverse("crm:lead-list")).content.decode()
    assert 'dir="auto">Acme Inc.</a>' in content


def test_the_history_says_created_not_date_of_creation(arabic_client, rep):
    lead = LeadFactory(owner=rep)
    content = arabic_client.get(lead.get_absolute_url()).content.decode()
    history = content.split('id="history"')[1] if 'id="history"' in content else content
    assert "أُنشئ" in history
    with translation.override("ar"):
        assert translation.pgettext("history event", "Created") == "أُنشئ"
        assert translation.gettext("Created") == "تاريخ الإنشاء"  # the column still says so


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "لا نتائج"), (1, "نتيجة واحدة"), (2, "نتيجتان"), (3, "3 نتائج"), (11, "11 نتيجة")],
)
def test_result_counts_use_the_six_arabic_plural_forms(arabic_client, count, text):
    LeadFactory.create_batch(count, company="Zeta")
    content = arabic_client.get(reverse("crm:lead-list"), {"q": "zeta"}).content.decode()
    shown = re.search(r'id="result-count">\s*(.*?)\s*</p>', content, re.S).group(1)
    assert shown == text


def test_each_plural_entry_has_six_forms():
    import polib

    po = polib.pofile(str(Path(settings.BASE_DIR) / "locale/ar/LC_MESSAGES/django.po"))
    plurals = [entry for entry in po if entry.msgid_plural and not entry.obsolete]
    assert plurals
    for entry in plurals:
        forms = [entry.msgstr_plural.get(n, "") for n in range(6)]
        assert all(forms), entry.msgid
        # Zero, one and two are words in Arabic ("لا", "واحد", the dual), not "0 نتيجة".
        assert not forms[0].startswith("0 "), entry.msgid


def test_the_status_chart_uses_the_badges_colours(rep_client):
    for status in LeadStatus.values:
        if status != LeadStatus.CONVERTED:  # a converted lead needs its customer
            LeadFactory(status=status)
    content = rep_client.get(reverse("crm:dashboard")).content.decode()
    data = json.loads(re.search(r'id="dashboard-data"[^>]*>(.*?)</script>', content, re.S)[1])
    chart = data["leadsByStatus"]
    labels = {str(choice.label): choice.value for choice in LeadStatus}
    assert chart["colours"] == [LEAD_STATUS_COLOURS[labels[label]] for label in chart["labels"]]
    css = (Path(settings.BASE_DIR) / "static/crm/crm.css").read_text()
    for status, colour in LEAD_STATUS_COLOURS.items():
        rule = re.search(rf"\.badge-status-{status} \{{([^}}]*)\}}", css)[1]
        assert f"background-color: var(--bs-{colour})" in rule, status


def test_every_axis_says_its_unit(rep_client):
    content = rep_client.get(reverse("crm:dashboard")).content.decode()
    data = json.loads(re.search(r'id="dashboard-data"[^>]*>(.*?)</script>', content, re.S)[1])
    assert data["pipelineByStage"]["axes"] == {"category": "Stage", "value": "Amount (SAR)"}
    assert data["wonByMonth"]["axes"] == {"category": "Month", "value": "Amount (SAR)"}
    assert data["campaignRoi"]["axes"]["value"] == "Return on investment (%)"
