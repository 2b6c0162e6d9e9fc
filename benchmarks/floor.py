"""The floor: a plain Django admin changelist of leads, the least any admin changelist can cost.

Model fields only, ``list_select_related`` for the links, nothing else: no date hierarchy, no
filters, no computed columns, no search. It lives on its own ``AdminSite``, mounted (by
``benchmarks.urls``) only while the benchmark runs, so the managers' admin never shows it.
"""

from django.contrib import admin
from django.urls import path

from crm.models import Lead

FLOOR_PREFIX = "bench-floor/"
FLOOR_CHANGELIST = "bench_floor:crm_lead_changelist"

floor_site = admin.AdminSite(name="bench_floor")


@admin.register(Lead, site=floor_site)
class FloorLeadAdmin(admin.ModelAdmin):
    """The lead table as a plain ``ModelAdmin`` shows it, over the same columns as the real one."""

    list_display = (
        "name",
        "company",
        "email",
        "phone",
        "status",
        "rating",
        "source",
        "expected_revenue",
        "campaign",
        "owner",
        "created_at",
    )
    list_select_related = ("campaign", "owner")


def floor_urlpatterns(urlpatterns: list) -> list:
    """The project's URLs with the floor's admin mounted beside them."""
    return [path(FLOOR_PREFIX, floor_site.urls), *urlpatterns]
