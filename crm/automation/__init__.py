"""Automation: rules managers write (``crm.models.automation``), heard from the services' events
and run by a job (``engine``), their actions done through the services (``actions``), and the
triggers no write announces, checked on a schedule (``scheduled``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import events


@contextmanager
def rules_off() -> Iterator[None]:
    """Run no automation rule for the writes made inside the block (an import that chose so)."""
    token = events.rules_off.set(True)
    try:
        yield
    finally:
        events.rules_off.reset(token)
