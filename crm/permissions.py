"""Who may change which record: managers change everything, reps what is theirs."""

from .models import Interaction, Task


def can_change(user, obj) -> bool:
    """Managers (who may delete) change any record; reps their own, and tasks assigned to them."""
    model = obj._meta.model_name
    if not user.has_perm(f"crm.change_{model}"):
        return False
    if user.has_perm(f"crm.delete_{model}"):
        return True
    if isinstance(obj, Task):
        return obj.assigned_to_id == user.pk
    if isinstance(obj, Interaction):
        return obj.created_by_id == user.pk
    return getattr(obj, "owner_id", None) == user.pk
