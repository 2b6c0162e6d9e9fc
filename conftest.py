"""Shared pytest fixtures: users in each role, and the settings tests run with."""

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests speak English unless they switch language themselves."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the dashboard keeps its team figures there)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def on_postgres(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (CI does)")
    return True


@pytest.fixture
def rep(db):
    from django.contrib.auth.models import Group

    from crm.factories import UserFactory

    user = UserFactory(username="rep")
    user.groups.add(Group.objects.get(name="Sales rep"))
    return user


@pytest.fixture
def manager(db):
    from django.contrib.auth.models import Group

    from crm.factories import UserFactory

    user = UserFactory(username="manager", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales manager"))
    return user


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client
