"""Notifications: the listeners that turn the services' events into notifications
(``handlers``), the emails that carry them (``mail``), and holding them back for a bulk write.

The model is ``crm.models.notifications``; every write of one goes through
``crm.services.notifications``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import events


@contextmanager
def held() -> Iterator[None]:
    """Hold back the "assigned to you" notifications of the writes made inside the block (an
    import of 10,000 leads tells its owners once, "import finished", not 10,000 times)."""
    token = events.assignments_held.set(True)
    try:
        yield
    finally:
        events.assignments_held.reset(token)
