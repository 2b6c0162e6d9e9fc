"""Who is told what, from the events of the services (never from a view).

- a lead, deal or task given to someone: its new owner or assignee;
- a deal won or lost: its owner;
- a lead converted: its owner.
Nobody is told of what they did themselves (``notify`` sees to that).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .. import events
from ..models.notifications import NotificationKind
from ..services.notifications import notify


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _user(pk):
    if pk is None:
        return None
    return get_user_model().objects.filter(pk=pk).first()


def _assigned_text(event: events.Event, what: str):
    record, by = event.record, acting(event)

    def text():
        names = {"name": str(record), "by": person(by)}
        if what == "lead":
            return (
                _("%(by)s gave you the lead %(name)s.") % names
                if by
                else _("The lead %(name)s is yours now.") % names
            )
        if what == "deal":
            return (
                _("%(by)s gave you the deal %(name)s.") % names
                if by
                else _("The deal %(name)s is yours now.") % names
            )
        names["due"] = date_format(record.due_date, "SHORT_DATE_FORMAT")
        return (
            _("%(by)s gave you the task %(name)s, due %(due)s.") % names
            if by
            else _("The task %(name)s is yours now, due %(due)s.") % names
        )

    return text


def acting(event: events.Event):
    """Who did it, as the person told reads it: nobody for an automation rule's write (its
    services act as the rule's author, who did not do this by hand)."""
    return None if event.depth > 0 else event.by


def _tell_the_new_holder(event: events.Event, field: str, what: str) -> None:
    if not event.tells_assignee:
        return
    new = event.new(field)
    if new is None:
        return
    notify(
        recipient=_user(new),
        kind=NotificationKind.ASSIGNED,
        text=_assigned_text(event, what),
        target=event.record,
        actor=acting(event),
    )


@events.subscribe(events.LeadCreated)
@events.subscribe(events.LeadAssigned)
def lead_given(event: events.Event) -> None:
    _tell_the_new_holder(event, "owner", "lead")


@events.subscribe(events.DealCreated)
@events.subscribe(events.DealAssigned)
def deal_given(event: events.Event) -> None:
    _tell_the_new_holder(event, "owner", "deal")


@events.subscribe(events.TaskCreated)
@events.subscribe(events.TaskAssigned)
def task_given(event: events.Event) -> None:
    _tell_the_new_holder(event, "assigned_to", "task")


@events.subscribe(events.DealWon)
@events.subscribe(events.DealLost)
def deal_closed(event: events.Event) -> None:
    deal, by = event.record, event.by
    won = isinstance(event, events.DealWon)

    def text():
        names = {"name": str(deal), "by": person(by)}
        if won:
            return (
                _("%(by)s marked your deal %(name)s won.") % names
                if by
                else _("Your deal %(name)s was won.") % names
            )
        return (
            _("%(by)s marked your deal %(name)s lost.") % names
            if by
            else _("Your deal %(name)s was lost.") % names
        )

    notify(
        recipient=deal.owner,
        kind=NotificationKind.DEAL_CLOSED,
        text=text,
        target=deal,
        actor=by,
    )


@events.subscribe(events.LeadConverted)
def lead_converted(event: events.LeadConverted) -> None:
    lead, by = event.record, event.by
    if by is None:
        return  # "converted by someone else": a conversion with no one behind it tells no one

    def text():
        return _("%(by)s converted your lead %(name)s into a customer.") % {
            "by": person(by),
            "name": str(lead),
        }

    notify(
        recipient=lead.owner,
        kind=NotificationKind.LEAD_CONVERTED,
        text=text,
        target=event.contact or lead,
        actor=by,
    )
