"""Text that looks like HTML or script is shown as text everywhere."""

import pytest
from django.urls import reverse

from crm.factories import (
    CampaignFactory,
    ContactFactory,
    InteractionFactory,
    LeadFactory,
    OpportunityFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

EVIL = "<script>alert('x')</script><img src=x onerror=alert(1)>"


@pytest.fixture
def evil_world(rep):
    campaign = CampaignFactory(name=EVIL, description=EVIL, owner=rep)
    lead = LeadFactory(name=EVIL, company=EVIL, notes=EVIL, owner=rep, campaign=campaign)
    contact = ContactFactory(name=EVIL, company=EVIL, address=EVIL, owner=rep)
    opportunity = OpportunityFactory(
        name=EVIL, description=EVIL, contact=contact, lead=lead, campaign=campaign, owner=rep
    )
    interaction = InteractionFactory(
        subject=EVIL,
        notes=EVIL,
        outcome=EVIL,
        lead=lead,
        opportunity=opportunity,
        created_by=rep,
    )
    task = TaskFactory(title=EVIL, description=EVIL, lead=lead, assigned_to=rep)
    return [lead, contact, opportunity, interaction, task, campaign]


def assert_escaped(content: str, where: str):
    assert "<script>alert(" not in content, where
    assert "<img src=x" not in content, where
    assert "&lt;script&gt;" in content or "\\u003Cscript\\u003E" in content, where


def test_xss_reps_pages_show_markup_as_text(rep_client, evil_world):
    urls = [
        reverse(name)
        for name in (
            "crm:dashboard",
            "crm:lead-list",
            "crm:contact-list",
            "crm:opportunity-list",
            "crm:interaction-list",
            "crm:task-list",
            "crm:campaign-list",
            "crm:opportunity-board",
        )
    ]
    for record in evil_world:
        urls.append(record.get_absolute_url())
        urls.append(reverse(f"crm:{record._meta.model_name}-update", args=[record.pk]))
    urls.append(reverse("crm:lead-convert", args=[evil_world[0].pk]))
    urls.append(reverse("crm:lookup", args=["leads"]) + "?q=script")
    for url in urls:
        response = rep_client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode(), url)


def test_xss_admin_shows_markup_as_text(manager_client, evil_world):
    for record in evil_world:
        name = record._meta.model_name
        for url in (
            reverse(f"admin:crm_{name}_changelist"),
            reverse(f"admin:crm_{name}_change", args=[record.pk]),
        ):
            response = manager_client.get(url)
            assert response.status_code == 200, url
            assert_escaped(response.content.decode(), url)
