"""The board's owner filter and "rotting" deals.

- ``Stage.rotting_days``: the days a deal may stay in the stage before the board marks it as
  rotting (empty: no limit). No stage gets a limit here: managers set them in the admin.
- ``Opportunity.stage_entered_at``: when the deal entered its present stage. Existing deals get
  the time of their last recorded move into that stage (``StageChange``, one correlated
  subquery read through the (opportunity, changed_at) index, so a single UPDATE), or their
  ``created_at`` where no move was recorded: every move is recorded, so a deal without one has
  been in its stage since it was made. History rows keep the migration's time (the history
  page does not show this field). Reversing drops both fields and changes no other data.
- The (owner, stage) index becomes (owner, stage, close date, -amount, id): the board filtered
  by owner reads each stage's first cards off it, as the unfiltered board does off
  ``crm_opp_stage_board_idx``; every query the narrower index served is served by its prefix.
"""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Coalesce


def fill_stage_entered_at(apps, schema_editor):
    Opportunity = apps.get_model("crm", "Opportunity")
    StageChange = apps.get_model("crm", "StageChange")
    last_move_in = (
        StageChange.objects.filter(
            opportunity=models.OuterRef("pk"), to_stage=models.OuterRef("stage")
        )
        .order_by("-changed_at", "-pk")
        .values("changed_at")[:1]
    )
    Opportunity.objects.update(
        stage_entered_at=Coalesce(models.Subquery(last_move_in), models.F("created_at"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_saved_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Schema first, data last: PostgreSQL refuses to alter a table with pending trigger events.
    operations = [
        migrations.RemoveIndex(model_name="opportunity", name="crm_opp_owner_stage_idx"),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["owner", "stage", "expected_close_date", "-amount", "id"],
                name="crm_opp_owner_board_idx",
            ),
        ),
        migrations.AddField(
            model_name="stage",
            name="rotting_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text=(
                    "An open opportunity left in this stage for more days than this is marked "
                    "as rotting on the board. Leave empty for no limit."
                ),
                null=True,
                verbose_name="rotting after (days)",
            ),
        ),
        migrations.AddField(
            model_name="historicalstage",
            name="rotting_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text=(
                    "An open opportunity left in this stage for more days than this is marked "
                    "as rotting on the board. Leave empty for no limit."
                ),
                null=True,
                verbose_name="rotting after (days)",
            ),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="stage_entered_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="in this stage since",
            ),
        ),
        migrations.AddField(
            model_name="historicalopportunity",
            name="stage_entered_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now,
                editable=False,
                verbose_name="in this stage since",
            ),
        ),
        migrations.RunPython(fill_stage_entered_at, migrations.RunPython.noop, elidable=True),
    ]
