"""Tasks and interactions: create, edit, complete, reopen, log, delete."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from .. import events
from ..models import TASK_OPEN_STATUSES, Interaction, Task, TaskStatus
from .base import announce, changed, create_record, delete_record, update_record, write_fields


def _task_events(task: Task, by, changes) -> list:
    completed = changed(changes, "status") and task.status == TaskStatus.COMPLETED
    return [
        events.TaskAssigned(task, by, changes) if changed(changes, "assigned_to") else None,
        events.TaskStatusChanged(task, by, changes) if changed(changes, "status") else None,
        events.TaskCompleted(task, by, changes) if completed else None,
        events.TaskPriorityChanged(task, by, changes) if changed(changes, "priority") else None,
    ]


def _assign_to_creator(task: Task) -> None:
    if not task.assigned_to_id:
        task.assigned_to = task.created_by


@transaction.atomic
def task_create(*, by, data: Mapping[str, Any]) -> Task:
    """A new task, assigned to ``by`` unless given to someone else."""
    task, changes = create_record(Task, by=by, data=data, prepare=_assign_to_creator)
    announce(events.TaskCreated(task, by, changes))
    return task


@transaction.atomic
def task_update(
    *, task: Task, by, data: Mapping[str, Any], seen_version: datetime.datetime | None = None
) -> Task:
    """Change the task's fields in ``data`` (``completed_at`` follows the status)."""
    task, changes = update_record(task, by=by, data=data, seen_version=seen_version)
    announce(*_task_events(task, by, changes))
    return task


@transaction.atomic
def task_complete(*, task: Task, by) -> Task:
    """Mark the task done now; a task already completed stays as it was."""

    def complete(task: Task) -> None:
        task.status = TaskStatus.COMPLETED

    task, changes = write_fields(task, by=by, rule=complete)
    announce(*_task_events(task, by, changes))
    return task


@transaction.atomic
def task_reopen(*, task: Task, by) -> Task:
    """Put a completed or cancelled task back to pending; an open task stays as it is."""

    def reopen(task: Task) -> None:
        if task.status not in TASK_OPEN_STATUSES:
            task.status = TaskStatus.PENDING

    task, changes = write_fields(task, by=by, rule=reopen)
    announce(*_task_events(task, by, changes))
    return task


def task_reminder_handled(*, task: Task, remind_at: datetime.datetime) -> bool:
    """Mark ``task``'s reminder for ``remind_at`` handled (sent, or dropped as too late), unless
    the task has moved to another moment meanwhile; whether this call marked it.

    Bookkeeping of the reminder job, not an edit of the task: no history entry, no new version.
    """
    marked = Task.objects.filter(pk=task.pk, remind_at=remind_at).exclude(reminded_for=remind_at)
    return bool(marked.update(reminded_for=remind_at))


def task_delete(*, task: Task, by) -> None:
    delete_record(task, by=by)


@transaction.atomic
def interaction_log(*, by, data: Mapping[str, Any]) -> Interaction:
    """Record a call, email, meeting or note, ``by`` as its author."""
    interaction, changes = create_record(Interaction, by=by, data=data)
    announce(events.InteractionLogged(interaction, by, changes))
    return interaction


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    by,
    data: Mapping[str, Any],
    seen_version: datetime.datetime | None = None,
) -> Interaction:
    interaction, _changes = update_record(interaction, by=by, data=data, seen_version=seen_version)
    return interaction


def interaction_delete(*, interaction: Interaction, by) -> None:
    delete_record(interaction, by=by)
