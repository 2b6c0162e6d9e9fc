"""Property-based tests: random and hostile input to every form and list never causes a server
error, and nothing is saved from invalid data."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.factories import CampaignFactory, ContactFactory, LeadFactory, OpportunityFactory
from crm.forms import (
    CAMPAIGN_FIELDS,
    CONTACT_FIELDS,
    LEAD_FIELDS,
    OPPORTUNITY_FIELDS,
    InteractionForm,
    TaskForm,
)
from crm.hostile import UNSTORABLE
from crm.models import Campaign, Contact, Interaction, Lead, Opportunity, Task

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "-1",
    "-0.01",
    "130",
    "9",
    "1e400",
    "NaN",
    "Infinity",
    "99999999999999999999999999",
    "0x1F",
    "2026-02-30",
    "31/12/2026",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE crm_lead; --",
    "%00",
    "\x00",
    "أحمد" * 80,
    "new",
    "converted",
    "closed_lost",
    "on",
]
values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)

FORMS = {
    "crm:lead-create": (LEAD_FIELDS, Lead),
    "crm:contact-create": (CONTACT_FIELDS, Contact),
    "crm:opportunity-create": (OPPORTUNITY_FIELDS, Opportunity),
    "crm:campaign-create": (CAMPAIGN_FIELDS, Campaign),
    "crm:interaction-create": (tuple(InteractionForm.Meta.fields), Interaction),
    "crm:task-create": (tuple(TaskForm.Meta.fields), Task),
}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rolled_back(function):
    """Run ``function`` in a transaction that is undone, so examples don't see each other."""
    with transaction.atomic():
        result = function()
        transaction.set_rollback(True)
    return result


def unstorable(data: dict) -> bool:
    """Whether ``data`` holds text no database can store, which is refused whole (a 400)."""
    return any(UNSTORABLE.search(value) for value in data.values())


def client_for(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("url_name", FORMS)
def test_fuzz_forms_never_fail_and_save_only_valid_data(rep, url_name):
    fields, model = FORMS[url_name]
    client = client_for(rep)

    @FUZZ
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, values)))
    def post(data):
        def attempt():
            before = model.objects.count()
            response = client.post(reverse(url_name), data)
            assert response.status_code < 500, (data, response.status_code)
            if unstorable(data):
                assert response.status_code == 400
                assert model.objects.count() == before
            elif response.status_code == 200:  # the form came back with its errors
                assert response.context["form"].errors
                assert model.objects.count() == before
            else:
                assert response.status_code == 302
                created = model.objects.order_by("-pk").first()
                created.full_clean()  # whatever was saved is valid
            return response

        rolled_back(attempt)

    post()


@pytest.mark.parametrize(
    "url_name",
    [
        "crm:lead-list",
        "crm:contact-list",
        "crm:opportunity-list",
        "crm:interaction-list",
        "crm:task-list",
        "crm:campaign-list",
        "crm:opportunity-board",
        "crm:dashboard",
    ],
)
def test_fuzz_list_parameters_never_fail(rep, url_name):
    LeadFactory.create_batch(2)
    OpportunityFactory()
    client = client_for(rep)
    names = st.sampled_from(
        ["q", "page", "ordering", "status", "source", "rating", "owner", "campaign", "stage",
         "state", "kind", "priority", "assigned_to", "mine", "overdue", "created_at_after",
         "created_at_before", "due_date_after", "expected_close_date_before", "occurred_at_after"]
    )  # fmt: skip

    @FUZZ
    @given(params=st.dictionaries(names, values, max_size=6))
    def get(params):
        response = client.get(reverse(url_name), params)
        expected = 400 if unstorable(params) else 200
        assert response.status_code == expected, (params, response.status_code)

    get()


def test_fuzz_convert_and_move_never_fail(rep):
    client = client_for(rep)

    @FUZZ
    @given(
        convert=st.dictionaries(
            st.sampled_from(
                [
                    "customer",
                    "create_opportunity",
                    "opportunity_name",
                    "opportunity_amount",
                    "expected_close_date",
                ]
            ),
            values,
        ),  # fmt: skip
        move=st.dictionaries(st.sampled_from(["stage", "lost_reason", "probability"]), values),
    )
    def post(convert, move):
        def attempt():
            lead = LeadFactory(owner=rep)
            ContactFactory(email=lead.email)
            response = client.post(reverse("crm:lead-convert", args=[lead.pk]), convert)
            assert response.status_code < 500
            if response.status_code == 200:
                lead.refresh_from_db()
                assert not lead.is_converted
            opportunity = OpportunityFactory(owner=rep, campaign=CampaignFactory())
            for accept in ("application/json", "text/html"):
                response = client.post(
                    reverse("crm:opportunity-move", args=[opportunity.pk]),
                    move,
                    headers={"accept": accept},
                )
                assert response.status_code < 500

        rolled_back(attempt)

    post()
