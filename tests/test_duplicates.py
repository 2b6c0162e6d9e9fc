"""Possible duplicates: a lead or customer being entered warns of the records sharing its
normalised email or phone, with links to them, and never refuses the save."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import services
from crm.duplicates import look_alikes
from crm.factories import ContactFactory, LeadFactory
from crm.models import Contact, Lead

pytestmark = pytest.mark.django_db

WARNING = "Possible duplicate: 1 record has the same email or phone."


def lead_data(**values):
    return {
        "name": "New Person",
        "status": "new",
        "source": "other",
        "expected_revenue": "0",
        **values,
    }


def test_look_alikes_share_normalised_email_or_phone():
    by_email = ContactFactory(email="omar@example.com", phone="")
    by_phone = LeadFactory(email="", phone="+966 50 111 2233")
    LeadFactory(email="other@example.com", phone="+966559998877")
    found = look_alikes(email=" OMAR@example.com", phone="٠٥٠١١١٢٢٣٣")
    assert {match.record for match in found.matches} == {by_email, by_phone}
    assert [(m.same_email, m.same_phone) for m in found.matches] == [(True, False), (False, True)]


def test_look_alikes_leave_out_the_record_and_its_conversion_pair(rep):
    lead = LeadFactory(owner=rep, email="pair@example.com", phone="")
    conversion = services.lead_convert(lead=lead, by=rep)
    lead = conversion.lead
    assert not look_alikes(email=lead.email, record=lead)
    assert not look_alikes(email=lead.email, record=conversion.contact)
    other = LeadFactory(email="PAIR@example.com", phone="")
    assert [m.record for m in look_alikes(email=lead.email, record=lead).matches] == [other]


def test_new_lead_form_warns_of_a_customer_with_the_same_email_with_a_link(rep_client, rep):
    customer = ContactFactory(name="Existing Customer", email="same@example.com", phone="")
    url = reverse("crm:look-alikes", args=["leads"])
    response = rep_client.get(url, {"email": "  Same@Example.com ", "phone": ""})
    content = response.content.decode()
    assert WARNING in content
    assert f'href="{customer.get_absolute_url()}"' in content
    assert "Existing Customer" in content and "same email" in content
    assert '<bdi dir="ltr">same@example.com</bdi>' in content
    assert "Saving is still allowed." in content


def test_look_alikes_endpoint_says_nothing_when_nothing_matches(rep_client):
    ContactFactory(email="someone@example.com")
    response = rep_client.get(
        reverse("crm:look-alikes", args=["contacts"]), {"email": "new@example.com"}
    )
    assert response.status_code == 200
    assert "Possible duplicate" not in response.content.decode()


def test_look_alikes_endpoint_refuses_unknown_kinds(rep_client):
    assert rep_client.get(reverse("crm:look-alikes", args=["tasks"])).status_code == 404


def test_saving_a_duplicate_lead_is_allowed_and_its_page_warns_with_links(rep_client, rep):
    customer = ContactFactory(name="Phone Owner", phone="+966501112233", email="")
    response = rep_client.post(
        reverse("crm:lead-create"), lead_data(phone="050 111 2233", owner=rep.pk), follow=True
    )
    lead = Lead.objects.get(name="New Person")
    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    content = response.content.decode()
    assert WARNING in content
    assert f'href="{customer.get_absolute_url()}"' in content
    assert '<bdi dir="ltr">+966501112233</bdi>' in content


def test_form_shown_again_after_an_error_keeps_the_warning_and_saves_nothing(rep_client):
    existing = LeadFactory(name="Earlier Lead", email="dup@example.com")
    response = rep_client.post(
        reverse("crm:lead-create"), lead_data(name="", email="DUP@example.com")
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert WARNING in content and f'href="{existing.get_absolute_url()}"' in content
    assert Lead.objects.count() == 1


def test_edit_page_of_a_customer_warns_of_a_lead_with_the_same_phone(rep_client, rep):
    contact = ContactFactory(owner=rep, phone="0501112233", email="")
    lead = LeadFactory(name="Same Phone Lead", phone="+966 50 111 2233", email="")
    response = rep_client.get(reverse("crm:contact-update", args=[contact.pk]))
    content = response.content.decode()
    assert 'id="look-alikes"' in content and "hx-get=" in content
    assert WARNING in content and f'href="{lead.get_absolute_url()}"' in content
    assert "same phone" in content


def test_edit_of_a_customer_with_a_duplicate_is_saved(rep_client, rep):
    contact = ContactFactory(owner=rep, phone="", email="mine@example.com")
    ContactFactory(email="taken@example.com")
    form = rep_client.get(reverse("crm:contact-update", args=[contact.pk])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(email="Taken@example.com", owner=rep.pk, seen_version=form["seen_version"].value())
    response = rep_client.post(reverse("crm:contact-update", args=[contact.pk]), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.email_key == "taken@example.com"


@pytest.mark.parametrize("count", [2, 3])
def test_warning_counts_in_plural(rep_client, count):
    for _ in range(count):
        ContactFactory(email="many@example.com")
    response = rep_client.get(
        reverse("crm:look-alikes", args=["leads"]), {"email": "many@example.com"}
    )
    assert (
        f"Possible duplicates: {count} records have the same email or phone."
        in response.content.decode()
    )


def test_look_alike_queries_do_not_grow_with_matches(rep_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            rep_client.get(
                reverse("crm:look-alikes", args=["leads"]),
                {"email": "q@example.com", "phone": "0501112233"},
            )
        return len(captured)

    ContactFactory(email="q@example.com")
    LeadFactory(phone="0501112233")
    first = queries()
    for _ in range(3):
        ContactFactory(email="q@example.com")
        LeadFactory(phone="0501112233")
    assert queries() == first
    assert Contact.objects.count() == 4


def test_quick_add_saves_and_warns_of_look_alikes_with_links(rep_client, rep):
    customer = ContactFactory(name="Quick Match", email="quick@example.com", phone="")
    response = rep_client.post(
        reverse("crm:lead-quick-add"),
        {
            "quick-name": "Quick Person",
            "quick-email": "QUICK@example.com",
            "quick-phone": "",
            "quick-company": "",
            "quick-source": "other",
        },
    )
    content = response.content.decode()
    assert Lead.objects.filter(name="Quick Person").exists()
    assert WARNING in content and f'href="{customer.get_absolute_url()}"' in content
