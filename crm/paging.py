"""Counting a list's rows without counting a million: shared by the reps' lists and the admin."""

from django.utils.functional import cached_property

# Lists count at most this many rows, and page no deeper: counting a million rows, or walking
# an OFFSET through them, would cost more than the rest of the page. Beyond it, filters or a
# reversed sort reach any row.
COUNT_LIMIT = 10_000


class CappedCount:
    """A paginator's count that stops at ``COUNT_LIMIT`` + 1 (shown as "more than 10,000")."""

    @cached_property
    def count(self):
        # Counting needs neither the sort nor the annotations (campaign metrics are subqueries).
        return self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_LIMIT

    @property
    def limit(self) -> int:
        return COUNT_LIMIT
