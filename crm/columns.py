"""The columns of each list, defined once: the page's headers and sorting, and its export.

A column has a label, what it sorts by (a key of the view's ``sort_fields``, if sortable) and
the value an export writes: a real number, date or text, never the page's formatted HTML. A
column can be shown only on the page (one cell that holds two values, "Email / phone") or only
in the export (each of those values in its own column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

NUMBER, MONEY, PERCENT, DATE, DATETIME, TEXT = (
    "number",
    "money",
    "percent",
    "date",
    "datetime",
    "text",
)


@dataclass(frozen=True)
class Column:
    label: Any
    value: Callable[[Any], Any] | None = None
    sort: str = ""
    kind: str = TEXT
    shown: bool = True
    exported: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind in (NUMBER, MONEY, PERCENT)


def field(path: str) -> Callable[[Any], Any]:
    """The value at ``path`` ("owner.username"), or None where a link along it is empty."""
    parts = path.split(".")

    def read(obj):
        for part in parts:
            if obj is None:
                return None
            obj = getattr(obj, part)
        return obj

    return read


def display(name: str) -> Callable[[Any], Any]:
    """A choice's label in the user's language, as the page shows it."""
    return lambda obj: getattr(obj, f"get_{name}_display")()


def person(path: str) -> Callable[[Any], Any]:
    """A user's full name, or their username, as the lists show people."""
    read = field(path)

    def name(obj):
        user = read(obj)
        return (user.get_full_name() or user.get_username()) if user else ""

    return name


def linked(obj) -> str:
    """What a task or interaction is about: its deal, customer or lead, as the page lists them."""
    names = [str(record) for record in (obj.opportunity, obj.contact, obj.lead) if record]
    return " · ".join(names)


def customer_or_lead(obj) -> str:
    record = obj.contact or obj.lead
    return record.name if record else ""


NAME = _("Name")
COMPANY = _("Company")
EMAIL = _("Email")
PHONE = _("Phone")
OWNER = _("Owner")
CREATED = _("Created")
STATUS = _("Status")
TYPE = _("Type")

LEAD = (
    Column(NAME, field("name"), "name"),
    Column(COMPANY, field("company"), "company"),
    Column(_("Email / phone"), exported=False),
    Column(EMAIL, field("email"), shown=False),
    Column(PHONE, field("phone"), shown=False),
    Column(STATUS, display("status"), "status"),
    Column(_("Rating"), field("rating"), "rating", NUMBER),
    Column(_("Source"), display("source"), "source"),
    Column(_("Expected revenue"), field("expected_revenue"), "expected_revenue", MONEY),
    Column(_("Campaign"), field("campaign.name"), "campaign"),
    Column(OWNER, person("owner"), "owner"),
    Column(CREATED, field("created_at"), "created", DATETIME),
)

CONTACT = (
    Column(NAME, field("name"), "name"),
    Column(COMPANY, field("company"), "company"),
    Column(EMAIL, field("email"), "email"),
    Column(PHONE, field("phone")),
    Column(OWNER, person("owner"), "owner"),
    Column(CREATED, field("created_at"), "created", DATETIME),
)

OPPORTUNITY = (
    Column(NAME, field("name"), "name"),
    Column(_("Customer / lead"), customer_or_lead, "customer"),
    Column(_("Stage"), field("stage.display_name"), "stage"),
    Column(_("Amount"), field("amount"), "amount", MONEY),
    Column(_("Probability"), field("probability"), "probability", PERCENT),
    Column(_("Expected value"), field("expected_value"), "expected_value", MONEY),
    Column(_("Expected close"), field("expected_close_date"), "close", DATE),
    Column(OWNER, person("owner"), "owner"),
)

INTERACTION = (
    Column(_("Subject"), field("subject"), "subject"),
    Column(TYPE, display("kind"), "kind"),
    Column(_("About"), linked),
    Column(_("Date"), field("occurred_at"), "occurred", DATETIME),
    Column(_("Minutes"), field("duration"), "duration", NUMBER),
    Column(_("Outcome"), field("outcome"), "outcome"),
    Column(_("Logged by"), person("created_by"), "by"),
)

TASK = (
    Column(_("Title"), field("title"), "title"),
    Column(_("Priority"), display("priority"), "priority"),
    Column(STATUS, display("status"), "status"),
    Column(_("Due date"), field("due_date"), "due", DATE),
    Column(
        _("Due time"), lambda task: f"{task.due_time:%H:%M}" if task.due_time else "", "due_time"
    ),
    Column(_("Overdue"), lambda task: _("Yes") if task.is_overdue else "", "overdue"),
    Column(_("About"), linked),
    Column(_("Assigned to"), person("assigned_to"), "assigned_to"),
)

CAMPAIGN = (
    Column(NAME, field("name"), "name"),
    Column(TYPE, display("kind"), "kind"),
    Column(STATUS, display("status"), "status"),
    Column(_("Start"), field("start_date"), "start", DATE),
    Column(_("Budget"), field("budget"), "budget", MONEY),
    Column(_("Actual cost"), field("actual_cost"), "actual_cost", MONEY),
    Column(_("Leads"), field("leads_count"), "leads", NUMBER),
    Column(_("Conversion rate"), field("conversion_rate"), "conversion_rate", PERCENT),
    Column(_("Cost per lead"), field("cost_per_lead"), "cost_per_lead", MONEY),
    Column(_("ROI"), field("roi"), "roi", PERCENT),
)
