"""The team-wide figures of the dashboard, computed off the request by a job.

They aggregate every lead and deal: at a million leads that costs several times the rest of the
page. A job (``crm.jobs.refresh_team_figures``, run by beat every ``CRM_DASHBOARD_CACHE_SECONDS``)
computes them and keeps them in the cache, shared by every app server when ``REDIS_URL`` is
set. A page reads what is kept and says how old it is; figures older than the limit (or from
another day) are shown while the page asks for a refresh, once, however many pages ask. Only
when none are kept at all (a new install, an emptied cache before the next run) does a page
compute them itself. With no worker (no ``REDIS_URL``) the job runs in the process, on the
request that asks for it.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

from celery.result import EagerResult
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..models import ZERO, Campaign, Lead, LeadSource, LeadStatus, Opportunity
from ..services import kept_totals

logger = logging.getLogger(__name__)

TOP_CAMPAIGNS = 10
REVENUE_MONTHS = 12
# How long one refresh may take before another may be asked for (a worker killed mid-run).
REFRESH_CLAIM_SECONDS = 5 * 60
# The figures stay in the cache this long after their last refresh, stale but shown.
KEPT_SECONDS = 7 * 24 * 60 * 60
# With none kept, the pages after the first wait this long for its figures.
FIRST_WAIT_SECONDS = 10


def month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _index in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the active time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def cache_key() -> str:
    """The figures' key: their months and "this month" are the active time zone's."""
    return f"crm:dashboard:team:{timezone.get_current_timezone_name()}"


def compute() -> dict:
    """The figures as of now: leads, pipeline, won revenue by month, the best campaigns."""
    today = timezone.localdate()
    months = month_starts(today, REVENUE_MONTHS)
    return {
        "leads": lead_numbers(since=start_of(months[-1])),
        "pipeline": kept_totals.pipeline_summary(),
        "won": won_by_month(months),
        "campaigns": campaigns_by_roi(),
        "day": today,
        "as_of": timezone.now(),
    }


def refresh() -> dict:
    """Compute the figures and keep them for every page (the job's work; idempotent)."""
    figures = compute()
    cache.set(cache_key(), figures, KEPT_SECONDS)
    cache.delete(claim_key())
    return figures


def is_stale(figures: dict, max_age: int) -> bool:
    age = timezone.now() - figures["as_of"]
    return figures["day"] != timezone.localdate() or age > datetime.timedelta(seconds=max_age)


def read() -> dict:
    """The figures a page shows: the kept ones, a refresh asked for when they are stale.

    With ``CRM_DASHBOARD_CACHE_SECONDS`` at 0 they are computed on every call and not kept.
    """
    max_age = settings.CRM_DASHBOARD_CACHE_SECONDS
    if max_age <= 0:
        return compute()
    figures = cache.get(cache_key())
    if figures is None:
        return first_figures()
    if is_stale(figures, max_age) and cache.add(claim_key(), True, REFRESH_CLAIM_SECONDS):
        from ..jobs import refresh_team_figures

        try:
            queued = refresh_team_figures.delay()
        except Exception:  # run here (no worker) and failed, or the broker away
            logger.exception("The dashboard's team figures could not be refreshed")
            cache.delete(claim_key())  # the next page asks again
            return figures
        if isinstance(queued, EagerResult):
            # Run in this process (no worker): show what it computed.
            figures = cache.get(cache_key(), figures)
    return figures


def first_figures() -> dict:
    """None kept (a new install, an emptied cache): one page computes them while the others
    that ask meanwhile wait for its result rather than each computing them too."""
    if cache.add(claim_key(), True, REFRESH_CLAIM_SECONDS):
        try:
            return refresh()
        except Exception:
            cache.delete(claim_key())
            raise
    deadline = time.monotonic() + FIRST_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        figures = cache.get(cache_key())
        if figures is not None:
            return figures
    return compute()  # the first is taking too long (or died): compute, keep nothing


def claim_key() -> str:
    return f"{cache_key()}:claimed"


def lead_numbers(*, since: datetime.datetime) -> dict:
    """Leads by status and by source, new ones since ``since`` and the conversion rate."""
    # One pass over the (status, source) index, grouped; the month's count reads its range
    # of the created_at index.
    by_status, by_source = Counter(), Counter()
    for row in Lead.objects.order_by().values("status", "source").annotate(n=Count("*")):
        by_status[row["status"]] += row["n"]
        by_source[row["source"]] += row["n"]
    total = sum(by_status.values())
    converted = by_status[LeadStatus.CONVERTED.value]
    return {
        "total": total,
        "new_this_month": Lead.objects.filter(created_at__gte=since).count(),
        "by_status": [(s, by_status[s.value]) for s in LeadStatus],
        "by_source": [(s, by_source[s.value]) for s in LeadSource],
        # No leads, no rate: the page shows "—" rather than 0.
        "conversion_rate": (
            (Decimal(converted * 100) / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
            if total
            else None
        ),
    }


def won_by_month(months: list[datetime.date]) -> list[dict]:
    """Deals won in each of ``months`` (by when they closed), empty months included.

    One pass over the year's range of the closed_at index, a count and a sum per month
    (grouping by a truncated date would call a function on every row, in Python on SQLite).
    """
    last = months[-1]
    after = datetime.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    bounds = [start_of(month) for month in [*months, after]]
    aggregates = {}
    for index in range(len(months)):
        in_month = Q(closed_at__gte=bounds[index], closed_at__lt=bounds[index + 1])
        aggregates[f"count_{index}"] = Count("pk", filter=in_month)
        aggregates[f"amount_{index}"] = Sum("amount", filter=in_month)
    totals = (
        Opportunity.objects.won()
        .filter(closed_at__gte=bounds[0], closed_at__lt=bounds[-1])
        .aggregate(**aggregates)
    )
    return [
        {
            "month": month,
            "count": totals[f"count_{index}"],
            "amount": totals[f"amount_{index}"] or ZERO,
        }
        for index, month in enumerate(months)
    ]


def campaigns_by_roi() -> list[Campaign]:
    """The campaigns with the best return on investment (those with a cost only)."""
    return list(
        Campaign.objects.with_metrics()
        .filter(roi__isnull=False)
        .order_by("-roi", "pk")[:TOP_CAMPAIGNS]
    )
