"""Quick work with htmx: a task ticked off from a list or the dashboard, a lead's status from
its list, a lead added from any page. Each write goes through its service; a refusal changes
nothing and says why."""

import json
import re

import pytest
from django.urls import reverse

from crm.factories import LeadFactory, TaskFactory, UserFactory
from crm.models import Lead, LeadStatus, Task, TaskStatus

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def said(response):
    return json.loads(response["HX-Trigger"])["crm:message"]


def test_task_done_from_the_list_redraws_its_row(rep_client, rep):
    task = TaskFactory(assigned_to=rep, title="Call back")
    content = rep_client.get(reverse("crm:task-list")).content.decode()
    assert 'data-quick="complete"' in content
    url = reverse("crm:task-complete", args=[task.pk]) + "?as=row"
    response = rep_client.post(url, headers=HTMX)
    assert response.status_code == 200
    row = response.content.decode()
    assert row.startswith("<tr") and f'data-task="{task.pk}"' in row
    assert "Completed" in row and 'data-quick="reopen"' in row
    assert 'name="pk"' in row  # the tick box for bulk actions stays
    assert said(response) == {"level": "success", "text": "Task completed."}
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completed_at


def test_task_done_from_the_dashboard_redraws_its_item(rep_client, rep):
    task = TaskFactory(assigned_to=rep)
    assert 'data-quick="complete"' in rep_client.get(reverse("crm:dashboard")).content.decode()
    response = rep_client.post(
        reverse("crm:task-complete", args=[task.pk]) + "?as=item", headers=HTMX
    )
    assert response.content.decode().startswith("<li")
    response = rep_client.post(
        reverse("crm:task-reopen", args=[task.pk]) + "?as=item", headers=HTMX
    )
    assert said(response)["text"] == "Task reopened."
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING


def test_someone_elses_task_is_refused_and_unchanged(rep_client):
    task = TaskFactory(assigned_to=UserFactory())
    content = rep_client.get(reverse("crm:task-list")).content.decode()
    assert 'data-quick="complete"' not in content
    response = rep_client.post(reverse("crm:task-complete", args=[task.pk]), headers=HTMX)
    assert response["HX-Reswap"] == "none"
    assert said(response)["level"] == "danger"
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING
    # Without htmx, the same refusal is the 403 page.
    assert rep_client.post(reverse("crm:task-complete", args=[task.pk])).status_code == 403


def test_task_done_without_htmx_falls_back_to_a_redirect(rep_client, rep):
    task = TaskFactory(assigned_to=rep)
    response = rep_client.post(reverse("crm:task-complete", args=[task.pk]))
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == TaskStatus.COMPLETED


def test_missing_task_is_a_404(rep_client):
    assert (
        rep_client.post(reverse("crm:task-complete", args=[999999]), headers=HTMX).status_code
        == 404
    )


def test_lead_status_from_the_list(rep_client, rep):
    lead = LeadFactory(owner=rep, name="Huda")
    content = rep_client.get(reverse("crm:lead-list")).content.decode()
    assert re.search(rf'hx-post="/crm/leads/{lead.pk}/status"', content)
    response = rep_client.post(
        reverse("crm:lead-status", args=[lead.pk]), {"status": "contacted"}, headers=HTMX
    )
    assert response.content.decode().startswith(f'<td data-lead-status="{lead.pk}">')
    assert said(response)["text"] == "Huda: Contacted."
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED
    assert Lead.history.filter(id=lead.pk, history_user=rep, status="contacted").exists()


def test_lead_status_lost_asks_for_the_reason_on_the_lead_page(rep_client, rep):
    lead = LeadFactory(owner=rep)
    response = rep_client.post(
        reverse("crm:lead-status", args=[lead.pk]), {"status": "lost"}, headers=HTMX
    )
    assert response["HX-Redirect"] == lead.get_absolute_url() + "#id_lost_reason"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


@pytest.mark.parametrize("status", ["converted", "", "nonsense", "new\x00"])
def test_lead_status_refuses_what_cannot_be_set(rep_client, rep, status):
    lead = LeadFactory(owner=rep, status=LeadStatus.CONTACTED)
    response = rep_client.post(
        reverse("crm:lead-status", args=[lead.pk]), {"status": status}, headers=HTMX
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert said(response)["level"] == "danger"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.CONTACTED


def test_someone_elses_lead_shows_a_badge_not_a_select(rep_client):
    lead = LeadFactory(owner=UserFactory())
    content = rep_client.get(reverse("crm:lead-list")).content.decode()
    assert f'hx-post="/crm/leads/{lead.pk}/status"' not in content
    response = rep_client.post(
        reverse("crm:lead-status", args=[lead.pk]), {"status": "qualified"}, headers=HTMX
    )
    assert said(response)["level"] == "danger"
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_quick_add_lead(rep_client, rep):
    form = rep_client.get(reverse("crm:lead-quick-add"), headers=HTMX).content.decode()
    assert 'name="quick-name"' in form and 'name="quick-status"' not in form
    response = rep_client.post(
        reverse("crm:lead-quick-add"),
        {"quick-name": "Nadia Karim", "quick-phone": "0501112233", "quick-source": "website"},
        headers=HTMX,
    )
    lead = Lead.objects.get(name="Nadia Karim")
    assert (lead.owner, lead.created_by, lead.status) == (rep, rep, LeadStatus.NEW)
    assert lead.get_absolute_url() in response.content.decode()
    assert said(response)["text"] == "Lead added: Nadia Karim"


def test_quick_add_with_bad_input_says_why_and_saves_nothing(rep_client):
    response = rep_client.post(
        reverse("crm:lead-quick-add"),
        {"quick-name": "", "quick-email": "not-an-email"},
        headers=HTMX,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in content and "Enter a valid email address." in content
    assert not Lead.objects.exists()
    assert "HX-Trigger" not in response


def test_quick_add_needs_the_right_to_add(client):
    client.force_login(UserFactory())
    assert client.get(reverse("crm:lead-quick-add")).status_code == 403
    page = client.get(reverse("crm:lead-list")).content.decode()  # its 403 page, with the navbar
    assert 'id="shortcuts"' in page and 'id="quick-add-button"' not in page


def test_every_page_offers_quick_add_and_the_shortcuts(rep_client):
    content = rep_client.get(reverse("crm:opportunity-board")).content.decode()
    assert 'id="quick-add-button"' in content and 'id="shortcuts"' in content


def test_list_marks_its_new_record_button_for_the_n_shortcut(rep_client):
    content = rep_client.get(reverse("crm:task-list")).content.decode()
    assert re.search(r'<a class="btn btn-success" data-shortcut-new href="/crm/tasks/add"', content)
