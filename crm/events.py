"""What happened, announced by the write services once their transaction has committed.

Each service emits typed events (``LeadCreated``, ``DealWon``, ...): the record, the acting user,
and each changed field with its old and new value. Notifications, automation and (later) email
and webhooks subscribe here, never to views or model signals, so every path that writes (the
reps' pages, the board, the admin, imports, automation itself) is heard exactly once.

    @events.subscribe(events.TaskAssigned)
    def tell_the_assignee(event): ...

A handler that fails is logged and the others still run: the write it reacts to is already
committed and cannot be undone by a listener.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models, transaction

logger = logging.getLogger(__name__)

# How deep in a chain of automations the current write is: 0 for a person's own action.
chain_depth: contextvars.ContextVar[int] = contextvars.ContextVar("chain_depth", default=0)
# The chain the current write belongs to, while automation's actions run ("": a person's own
# write, which starts a chain of its own).
chain_id: contextvars.ContextVar[str] = contextvars.ContextVar("chain_id", default="")
# Set while writes (an import that chose so) are to run no automation rule.
rules_off: contextvars.ContextVar[bool] = contextvars.ContextVar("rules_off", default=False)
# Set while a bulk write (an import) holds back the "assigned to you" notifications of its writes.
assignments_held: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "assignments_held", default=False
)


@dataclass(frozen=True)
class Event:
    """Something a service did to ``record``; ``changes`` maps field names to (old, new).

    Values are as stored: a link is its id. A created record lists the fields it was made with
    (old value None).
    """

    record: models.Model
    by: Any = None
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    depth: int = field(default_factory=chain_depth.get)
    # Whether its new owner or assignee is told (no while an import holds them back); decided
    # when the write happens, though the event is heard after the commit.
    tells_assignee: bool = field(default_factory=lambda: not assignments_held.get())
    # The chain of writes and automations it belongs to, and whether rules hear it: both
    # taken when the write happens.
    chain: str = field(default_factory=lambda: chain_id.get() or uuid.uuid4().hex)
    runs_rules: bool = field(default_factory=lambda: not rules_off.get())

    def old(self, name: str, default=None):
        return self.changes[name][0] if name in self.changes else default

    def new(self, name: str, default=None):
        return self.changes[name][1] if name in self.changes else default


class LeadCreated(Event):
    """A lead was made."""


class LeadAssigned(Event):
    """A lead's owner changed."""


class LeadStatusChanged(Event):
    """A lead's status changed (conversion included)."""


class LeadConverted(Event):
    """A lead became a customer; ``record`` is the lead, ``contact`` the customer."""

    @property
    def contact(self):
        return self.record.contact


class DealCreated(Event):
    """An opportunity was made."""


class DealAssigned(Event):
    """An opportunity's owner changed."""


class DealStageChanged(Event):
    """An opportunity moved to another stage (every move, won and lost included)."""


class DealWon(Event):
    """An opportunity entered a won stage."""


class DealLost(Event):
    """An opportunity entered a lost stage."""


class TaskCreated(Event):
    """A task was made."""


class TaskAssigned(Event):
    """A task's assignee changed."""


class TaskCompleted(Event):
    """A task was completed."""


class TaskStatusChanged(Event):
    """A task's status changed (completion included)."""


class TaskPriorityChanged(Event):
    """A task's priority changed."""


class InteractionLogged(Event):
    """A call, email, meeting or note was logged by a person."""


Handler = Callable[[Event], None]
_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[Event], handler: Handler | None = None):
    """Call ``handler`` for each committed event of ``event_type`` (or a subclass of it).

    Usable as a decorator. Subscribing ``Event`` hears everything.
    """
    if handler is None:
        return partial(subscribe, event_type)
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)
    return handler


def unsubscribe(event_type: type[Event], handler: Handler) -> None:
    if handler in _handlers[event_type]:
        _handlers[event_type].remove(handler)


def emit(event: Event) -> None:
    """Announce ``event`` once the current transaction commits (at once outside of one)."""
    transaction.on_commit(partial(dispatch, event))


def dispatch(event: Event) -> None:
    """Run every handler of the event's type and of its base types, in subscription order."""
    for event_type in type(event).__mro__:
        for handler in list(_handlers.get(event_type, ())):
            try:
                handler(event)
            except Exception:
                logger.exception("A handler of %s failed", type(event).__name__)


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """Collect the events dispatched inside the block (for tests and diagnostics)."""
    seen: list[Event] = []
    subscribe(Event, seen.append)
    try:
        yield seen
    finally:
        unsubscribe(Event, seen.append)
