"""Login, logout, and the pages under /crm/: every one needs a logged-in user."""

import pytest
from django.urls import reverse

from crm.factories import OpportunityFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/crm/", "/crm/dashboard", "/"])
def test_pages_send_anonymous_users_to_login(client, url):
    response = client.get(url, follow=True)
    assert response.redirect_chain
    final_url = response.redirect_chain[-1][0]
    assert final_url.startswith(reverse("login"))
    assert response.status_code == 200


def test_login_page_logs_in_and_redirects_to_next(client):
    UserFactory(username="sara", password="a-long-passphrase")
    response = client.post(
        reverse("login"),
        {"username": "sara", "password": "a-long-passphrase", "next": "/crm/dashboard"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/crm/dashboard"


def test_login_ignores_foreign_next(client):
    UserFactory(username="sara", password="a-long-passphrase")
    response = client.post(
        reverse("login"),
        {"username": "sara", "password": "a-long-passphrase", "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("crm:dashboard")


def test_login_bad_password_shows_message(client):
    UserFactory(username="sara", password="a-long-passphrase")
    response = client.post(reverse("login"), {"username": "sara", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(rep_client):
    assert rep_client.get(reverse("logout")).status_code == 405
    response = rep_client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in rep_client.session


@pytest.mark.parametrize("url", ["/crm/", "/crm/dashboard"])
def test_dashboard_shows_pipeline_and_my_tasks(rep_client, rep, url):
    OpportunityFactory(name="Visible deal")
    TaskFactory(title="My task", assigned_to=rep)
    TaskFactory(title="Someone else's task")
    response = rep_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "My task" in content
    assert "Someone else&#x27;s task" not in content
    assert "Prospecting" in content


def test_dashboard_in_arabic_is_right_to_left(rep_client):
    response = rep_client.get("/crm/", headers={"accept-language": "ar"})
    content = response.content.decode()
    assert 'dir="rtl"' in content
    assert "bootstrap.rtl.min.css" in content
    assert "استكشاف" in content


def test_language_switch_works_before_login(client):
    response = client.post(
        reverse("set_language"), {"language": "ar", "next": reverse("login")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("login")
    assert 'dir="rtl"' in response.content.decode()


def test_language_switch_refuses_foreign_next(rep_client):
    response = rep_client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example.com/"}
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]
