"""The demo team: a sales manager and the reps, in their role groups, and how they log in."""

from __future__ import annotations

import secrets
from random import Random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from .words import person_parts

MANAGER_USERNAME = "manager"
SALES_MANAGER = "Sales manager"
SALES_REP = "Sales rep"


def ensure_users(rng: Random, rep_count: int, password: str | None):
    """Get or create the manager and the reps; return them, the password and who kept theirs."""
    try:
        manager_group = Group.objects.get(name=SALES_MANAGER)
        rep_group = Group.objects.get(name=SALES_REP)
    except Group.DoesNotExist as error:
        raise CommandError("The role groups are missing: run `manage.py migrate`.") from error
    User = get_user_model()
    wanted = [MANAGER_USERNAME, *(f"rep{n}" for n in range(1, rep_count + 1))]
    existing = {user.username: user for user in User.objects.filter(username__in=wanted)}
    chosen = password is not None
    if not chosen and len(existing) < len(wanted):
        password = secrets.token_urlsafe(9)
    # One hash for all: hashing is slow on purpose, and these users share the password anyway.
    hashed = make_password(password) if password else None
    users, kept = [], []
    for username in wanted:
        # Names are drawn for every user, new or not, so --seed gives the same data either way.
        _, first, last = person_parts(rng)
        user = existing.get(username)
        if user is None:
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
                password=hashed,
            )
        elif chosen:
            user.password = hashed
            user.save(update_fields=["password"])
        else:
            kept.append(username)
        if username == MANAGER_USERNAME:
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            user.groups.add(manager_group)
        else:
            user.groups.add(rep_group)
        users.append(user)
    return users[0], users[1:], password, kept


def login_lines(manager, reps, password, kept) -> list[str]:
    """How to log in: the password is printed once, when it is made or set."""
    lines = []
    if MANAGER_USERNAME in kept:
        lines.append(f"Log in as {manager.username} (existing user: password unchanged)")
    else:
        lines.append(f"Log in as {manager.username} / {password}")
    new_reps = [rep.username for rep in reps if rep.username not in kept]
    old_reps = [rep.username for rep in reps if rep.username in kept]
    if new_reps:
        lines.append(f"Sales reps: {', '.join(new_reps)} / {password}")
    if old_reps:
        lines.append(f"Sales reps {', '.join(old_reps)}: existing users, passwords unchanged")
    return lines


def existing_login_line(password: str | None) -> str:
    """The login line when nothing was seeded: the password only if it really is the one."""
    manager = get_user_model().objects.filter(username=MANAGER_USERNAME).first()
    if manager is None:
        return "Log in with your own account (there is no demo manager user)."
    if password and manager.check_password(password):
        return f"Log in as {manager.username} / {password}"
    return f"Log in as {manager.username} (existing user: password unchanged)"
