"""Two people saving the same record: the second is told, and nobody's change is lost."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.factories import LeadFactory
from crm.models import Lead

pytestmark = pytest.mark.django_db


def edit_form(client, lead):
    """The edit page's form data, as the browser would post it back unchanged."""
    form = client.get(reverse("crm:lead-update", args=[lead.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in data.items()}


def test_concurrent_edit_second_saver_is_told_and_first_change_kept(rep_client, rep, manager):
    lead = LeadFactory(owner=rep, name="Original", company="Old Co")
    manager_client = Client()
    manager_client.force_login(manager)
    url = reverse("crm:lead-update", args=[lead.pk])
    rep_form = edit_form(rep_client, lead)
    manager_form = edit_form(manager_client, lead)

    assert rep_client.post(url, {**rep_form, "company": "Rep's change"}).status_code == 302
    response = manager_client.post(url, {**manager_form, "name": "Manager's change"})

    assert response.status_code == 200
    assert "Someone else changed this record" in str(response.context["form"].non_field_errors())
    lead.refresh_from_db()
    assert (lead.name, lead.company) == ("Original", "Rep's change")

    # Having been told, the manager may save again on purpose: the form now holds the new version.
    again = {**manager_form, "name": "Manager's change"}
    again["seen_version"] = response.context["form"]["seen_version"].value()
    assert manager_client.post(url, again).status_code == 302
    lead.refresh_from_db()
    assert lead.name == "Manager's change"


@pytest.mark.parametrize("seen", ["", "yesterday", "2001-01-01T00:00:00+00:00"])
def test_edit_without_a_current_version_saves_nothing(rep_client, rep, seen):
    lead = LeadFactory(owner=rep, name="Original")
    data = {**edit_form(rep_client, lead), "name": "Changed", "seen_version": seen}
    response = rep_client.post(reverse("crm:lead-update", args=[lead.pk]), data)
    assert response.status_code == 200
    assert Lead.objects.get(pk=lead.pk).name == "Original"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_edit_at_the_same_instant_one_wins(on_postgres, rep, manager):
    """On PostgreSQL, two saves racing: exactly one is stored, the other is told."""
    lead = LeadFactory(owner=rep, name="Original")
    url = reverse("crm:lead-update", args=[lead.pk])
    clients = [Client(), Client()]
    clients[0].force_login(rep)
    clients[1].force_login(manager)
    forms = [edit_form(client, lead) for client in clients]
    barrier = threading.Barrier(2)
    statuses = {}

    def save(index):
        try:
            barrier.wait(timeout=5)
            data = {**forms[index], "name": f"Change {index}"}
            statuses[index] = clients[index].post(url, data).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses.values()) == [200, 302]
    winner = next(i for i, status in statuses.items() if status == 302)
    assert Lead.objects.get(pk=lead.pk).name == f"Change {winner}"
