"""Who may do what to which record: managers everything, reps what is theirs.

The write services call these on the stored (locked) row, so every path (the reps' pages, the
board, the admin with its inlines, actions and history, imports) follows the same rule.
"""

from .models import Interaction, Task


def is_manager(user, model) -> bool:
    """Managers (who may delete) change any record of ``model``."""
    return user.has_perm(f"crm.delete_{model._meta.model_name}")


def can_change(user, obj) -> bool:
    """Managers change any record; reps their own, the tasks assigned to them and what they
    logged."""
    model = obj._meta.model_name
    if not user.has_perm(f"crm.change_{model}"):
        return False
    if is_manager(user, obj):
        return True
    if isinstance(obj, Task):
        return obj.assigned_to_id == user.pk
    if isinstance(obj, Interaction):
        return obj.created_by_id == user.pk
    return getattr(obj, "owner_id", None) == user.pk


def can_create(user, obj) -> bool:
    """A new record: anyone with the right to add it; a rep only what they will own.

    (A task may be given to anyone; an interaction is always the logger's own.)
    """
    if not user.has_perm(f"crm.add_{obj._meta.model_name}"):
        return False
    if is_manager(user, obj) or not hasattr(obj, "owner_id"):
        return True
    return obj.owner_id == user.pk


def can_delete(user, obj) -> bool:
    return user.has_perm(f"crm.delete_{obj._meta.model_name}")
