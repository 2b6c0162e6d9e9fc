"""Import and export through the admin: guarded formulas, blank cells, errors in words, and every
row saved by the write services with the importing user's rights."""

import dataclasses
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm import resources, services
from crm.factories import (
    CampaignFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
    stage,
)
from crm.models import Campaign, Contact, Lead, LeadStatus, Opportunity

pytestmark = pytest.mark.django_db

CSV, XLSX = 0, 1
LEAD_COLUMNS = ["id", "name", "email", "phone", "status", "source", "expected_revenue", "owner"]


def export(client, model, file_format):
    """Every row and column of ``model`` as the admin exports it; the file's bytes."""
    url = reverse(f"admin:crm_{model}_export")
    form = client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.initial is True}
    response = client.post(url, {**data, "format": str(file_format), "resource": "0"})
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def preview(client, model, content, file_format=CSV):
    """The import's first step (the dry run): the page with its preview or its errors."""
    name = "file.xlsx" if file_format == XLSX else "file.csv"
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        reverse(f"admin:crm_{model}_import"), {"format": str(file_format), "import_file": upload}
    )
    assert response.status_code == 200
    return response


def confirm(client, model, response):
    """The confirm step, posted for the file of a preview; the page it leads to."""
    data = dict(response.context["confirm_form"].initial)
    return client.post(reverse(f"admin:crm_{model}_process_import"), data, follow=True)


def import_file(client, model, content, file_format=CSV):
    """Preview, then confirm; the preview must have found no error."""
    response = preview(client, model, content, file_format)
    assert response.context.get("confirm_form") is not None, page_errors(response)
    return confirm(client, model, response)


def csv_bytes(headers, rows):
    return tablib.Dataset(*rows, headers=headers).export("csv").encode("utf-8")


def csv_rows(content):
    dataset = tablib.Dataset().load(content.decode("utf-8-sig"), format="csv")
    return [dict(zip(dataset.headers, row, strict=True)) for row in dataset]


def page_errors(response) -> str:
    result = response.context.get("result")
    if result is None:
        return ""
    messages = [e.message for e in result.base_errors]
    messages += [str(row.error_dict) for row in result.invalid_rows]
    return "\n".join(messages)


def assert_no_traceback(response):
    page = response.content.decode()
    for leak in ("Traceback", "site-packages", ".py", "File &quot;", 'File "'):
        assert leak not in page


@pytest.fixture
def staff_rep(rep):
    rep.is_staff = True
    rep.save(update_fields=["is_staff"])
    return rep


@pytest.fixture
def staff_rep_client(client, staff_rep):
    client.force_login(staff_rep)
    return client


# --- Formulas --------------------------------------------------------------------------------

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example.com","x")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "+966 50 111 2233",
    "-",
    "'=1+1",  # already quoted once: quoted again, so the import gives back exactly this
    "''@SUM(1)",
]
HARMLESS = ["-12.5", "+966501112233", "12", "Plain name", "'quoted, but no formula", "a=1+1"]


def as_read(text):
    """``text`` as a file brings it back: CSV is read with universal newlines and XLSX is XML,
    so a carriage return comes back as a line feed, wherever it is in the text."""
    return text.replace("\r", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_guard_quotes_what_a_spreadsheet_would_run(text):
    assert resources.guard(text) == "'" + text
    assert resources.unguard(resources.guard(text)) == text


@pytest.mark.parametrize("text", HARMLESS)
def test_guard_leaves_numbers_and_text(text):
    assert resources.guard(text) == text
    assert resources.unguard(text) == text


@pytest.mark.parametrize("text", HOSTILE + HARMLESS)
def test_csv_export_guards_formulas_and_import_restores_them(manager_client, text):
    contact = ContactFactory(name="x", notes=text)
    content = export(manager_client, "contact", CSV)
    (row,) = csv_rows(content)
    assert row["notes"] == resources.guard(text)
    Contact.objects.filter(pk=contact.pk).update(notes="changed")

    import_file(manager_client, "contact", content)

    contact.refresh_from_db()
    assert contact.notes == as_read(text)


def test_xlsx_export_has_no_formula_and_round_trips(manager_client):
    contacts = [ContactFactory(name=f"c{i}", notes=text) for i, text in enumerate(HOSTILE)]
    content = export(manager_client, "contact", XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert not [cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    Contact.objects.update(notes="changed")

    import_file(manager_client, "contact", content, XLSX)

    for contact, text in zip(contacts, HOSTILE, strict=True):
        contact.refresh_from_db()
        assert contact.notes == as_read(text)


# --- Blank cells -----------------------------------------------------------------------------


def records_with_blanks():
    """One of each imported record, with every optional cell empty."""
    campaign = CampaignFactory(end_date=None, description="")
    lead = LeadFactory(title="", company="", phone="", rating=None, campaign=None, notes="")
    contact = ContactFactory(title="", company="", phone="", address="", notes="")
    OpportunityFactory(
        contact=contact, lead=None, campaign=None, expected_close_date=None, description=""
    )
    return {"campaign": campaign, "lead": lead, "contact": contact}


@pytest.mark.parametrize("model", ["lead", "contact", "opportunity", "campaign"])
def test_xlsx_export_imported_again_unchanged_succeeds(manager_client, model):
    records_with_blanks()
    model_class = {"lead": Lead, "contact": Contact, "opportunity": Opportunity}.get(
        model, Campaign
    )
    record = model_class.objects.get()
    before = {f.attname: getattr(record, f.attname) for f in model_class._meta.concrete_fields}
    content = export(manager_client, model, XLSX)
    model_class.objects.update(name="changed")

    response = import_file(manager_client, model, content, XLSX)

    assert response.status_code == 200
    record.refresh_from_db()
    after = {f.attname: getattr(record, f.attname) for f in model_class._meta.concrete_fields}
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_import_blank_cells_are_blank_text_or_empty(manager_client, manager):
    campaign = CampaignFactory()
    lead = LeadFactory(owner=manager, title="CEO", rating=4, campaign=campaign, notes="Hi")
    content = csv_bytes(["id", "title", "rating", "campaign", "notes"], [[lead.pk, "", "", "", ""]])
    import_file(manager_client, "lead", content)
    lead.refresh_from_db()
    assert (lead.title, lead.rating, lead.campaign, lead.notes) == ("", None, None, "")


def test_xlsx_import_skips_empty_lines(manager_client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "name", "email"])
    sheet.append([None, "Sara", "sara@example.com"])
    sheet.append([None, None, None])
    sheet.append([None, "Omar", "omar@example.com"])
    content = io.BytesIO()
    book.save(content)

    import_file(manager_client, "lead", content.getvalue(), XLSX)

    assert sorted(Lead.objects.values_list("name", flat=True)) == ["Omar", "Sara"]


# --- Errors in words -------------------------------------------------------------------------


def test_import_with_other_columns_is_refused_in_words(manager_client):
    content = csv_bytes(["Full name", "E-mail"], [["Sara", "sara@example.com"]])
    response = preview(manager_client, "lead", content)
    page = response.content.decode()
    assert "This file has columns that leads do not have: Full name, E-mail." in page
    assert "The columns are: id, name," in page
    assert response.context.get("confirm_form") is None
    assert_no_traceback(response)
    assert not Lead.objects.exists()


def test_import_file_without_id_column_adds_records(manager_client, manager):
    content = csv_bytes(["name", "email"], [["Sara", "sara@example.com"]])
    import_file(manager_client, "lead", content)
    assert Lead.objects.get().owner == manager


GOOD_ROW = ["", "Good one", "good@example.com", "", "new", "website", "10", ""]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("expected_revenue", "-10", "Enter an amount of zero or more."),
        ("expected_revenue", "ten", "Enter a number."),
        ("status", "sleeping", "Value 'sleeping' is not a valid choice."),
        ("owner", "nobody", "There is no user with this username."),
        ("id", "999999", "There is no lead with this id: leave it empty to add a new one."),
        ("id", "abc", "Enter a number."),
    ],
)
def test_import_bad_value_names_row_column_and_value(manager_client, column, value, message):
    bad_row = list(GOOD_ROW)
    bad_row[LEAD_COLUMNS.index(column)] = value
    content = csv_bytes(LEAD_COLUMNS, [GOOD_ROW, bad_row])

    response = preview(manager_client, "lead", content)

    expected = f"Row 3, column “{column}”, value “{value}”: {message}"
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert response.context.get("confirm_form") is None
    assert_no_traceback(response)
    assert not Lead.objects.exists()


def test_import_rule_on_a_column_not_in_the_file_names_the_row(manager_client):
    content = csv_bytes(["id", "name"], [["", "Nobody to reach"]])
    response = preview(manager_client, "lead", content)
    page = response.content.decode()
    assert "Row 2, column “email” (not in the file): Give an email or a phone number" in page


def test_import_server_failure_is_a_notice_not_a_traceback(manager_client, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("/srv/crm/secret/path.py exploded")

    monkeypatch.setitem(
        services.SERVICES, Lead, dataclasses.replace(services.SERVICES[Lead], create=broken)
    )
    response = preview(manager_client, "lead", csv_bytes(LEAD_COLUMNS, [GOOD_ROW]))
    page = response.content.decode()
    assert "Row 2 could not be saved because of an error on the server." in page
    assert "exploded" not in page
    assert_no_traceback(response)


# --- Rights and rules, through the services --------------------------------------------------


def lead_row(lead, **changes):
    """``lead`` as an import row, with ``changes``."""
    values = {
        "id": lead.pk,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "status": lead.status,
        "source": lead.source,
        "expected_revenue": str(lead.expected_revenue),
        "owner": lead.owner.username,
        **changes,
    }
    return [values[column] for column in LEAD_COLUMNS]


def test_staff_rep_import_cannot_take_over_another_reps_lead(staff_rep_client, staff_rep):
    other = UserFactory(username="other-rep")
    lead = LeadFactory(owner=other, name="Theirs")
    content = csv_bytes(LEAD_COLUMNS, [lead_row(lead, owner=staff_rep.username, name="Mine")])

    response = preview(staff_rep_client, "lead", content)

    assert (
        f"Row 2, column “id”, value “{lead.pk}”: You may not change this lead: it is not yours."
        in response.content.decode()
    )
    assert response.context.get("confirm_form") is None
    lead.refresh_from_db()
    assert (lead.owner, lead.name) == (other, "Theirs")


def confirm_after_lead_was_reassigned(client, rep):
    """A preview that passed, then its lead given to someone else, then the confirm step."""
    lead = LeadFactory(owner=rep, name="Mine")
    new = ["", "New lead", "new@example.com", "", "new", "website", "10", ""]
    content = csv_bytes(LEAD_COLUMNS, [new, lead_row(lead, name="Renamed")])
    response = preview(client, "lead", content)
    other = UserFactory(username="other-rep")
    Lead.objects.filter(pk=lead.pk).update(owner=other)
    return lead, confirm(client, "lead", response)


def test_import_confirm_step_refuses_like_the_preview(staff_rep_client, staff_rep):
    lead, response = confirm_after_lead_was_reassigned(staff_rep_client, staff_rep)

    assert_no_traceback(response)
    lead.refresh_from_db()
    assert (lead.owner.username, lead.name) == ("other-rep", "Mine")
    assert not Lead.objects.filter(name="New lead").exists()  # the whole file rolled back


def test_import_confirm_step_shows_its_refusal(staff_rep_client, staff_rep):
    lead, response = confirm_after_lead_was_reassigned(staff_rep_client, staff_rep)

    assert (
        f"Row 3, column “id”, value “{lead.pk}”: You may not change this lead: it is not yours."
        in response.content.decode()
    )
    assert not LogEntry.objects.exists()  # nothing logged as imported


def test_staff_rep_import_creates_only_records_they_own(staff_rep_client, staff_rep):
    UserFactory(username="other-rep")
    theirs = ["", "For another", "a@example.com", "", "new", "website", "10", "other-rep"]
    response = preview(staff_rep_client, "lead", csv_bytes(LEAD_COLUMNS, [theirs]))
    assert (
        "Row 2, column “owner”, value “other-rep”: You may add a lead only with yourself as its "
        "owner." in response.content.decode()
    )

    mine = ["", "For me", "b@example.com", "", "new", "website", "10", ""]
    import_file(staff_rep_client, "lead", csv_bytes(LEAD_COLUMNS, [mine]))
    lead = Lead.objects.get()
    assert (lead.name, lead.owner, lead.created_by) == ("For me", staff_rep, staff_rep)


def test_staff_rep_import_updates_their_own_lead(staff_rep_client, staff_rep):
    lead = LeadFactory(owner=staff_rep, name="Old name")
    content = csv_bytes(LEAD_COLUMNS, [lead_row(lead, name="New name")])
    response = import_file(staff_rep_client, "lead", content)
    assert "1 updated" in response.content.decode()
    lead.refresh_from_db()
    assert lead.name == "New name"


def test_import_cannot_unconvert_a_lead(manager_client, manager):
    lead = LeadFactory(owner=manager)
    services.lead_convert(lead=lead, by=manager)
    lead.refresh_from_db()
    content = csv_bytes(LEAD_COLUMNS, [lead_row(lead, status=LeadStatus.QUALIFIED)])

    response = preview(manager_client, "lead", content)

    assert (
        "Row 2, column “status”, value “qualified”: A converted lead stays converted."
        in response.content.decode()
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_import_of_a_new_stage_moves_probability_to_its_default(manager_client, manager):
    deal = services.opportunity_create(
        by=manager, data={"name": "Deal", "contact": ContactFactory(), "amount": Decimal("100")}
    )
    assert (deal.stage.code, deal.probability) == ("prospecting", 10)
    (row,) = csv_rows(export(manager_client, "opportunity", CSV))
    row["stage"] = "proposal"  # the sheet as exported, only the stage changed
    content = csv_bytes(list(row), [list(row.values())])

    import_file(manager_client, "opportunity", content)

    deal.refresh_from_db()
    assert (deal.stage, deal.probability, deal.probability_is_manual) == (
        stage("proposal"),
        stage("proposal").default_probability,
        False,
    )
    assert [c.to_stage.code for c in deal.stage_changes.order_by("pk")] == [
        "prospecting",
        "proposal",
    ]


def test_import_of_a_typed_probability_keeps_it(manager_client, manager):
    deal = OpportunityFactory(owner=manager)
    (row,) = csv_rows(export(manager_client, "opportunity", CSV))
    row["probability"] = "33"
    import_file(manager_client, "opportunity", csv_bytes(list(row), [list(row.values())]))
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_is_manual) == (33, True)
