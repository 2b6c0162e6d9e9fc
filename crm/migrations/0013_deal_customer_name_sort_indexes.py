"""Deals keep their customer's (else their lead's) name, to sort the list by it through an
index; tasks sort "overdue first" and campaigns by ROI through indexes of their own.

The fill is reversible: going back drops the column, and nothing else is changed.
"""

from django.conf import settings
from django.db import migrations, models


def fill_customer_names(apps, schema_editor):
    from crm.models.pipeline import customer_name_expression

    Opportunity = apps.get_model("crm", "Opportunity")
    Opportunity.objects.using(schema_editor.connection.alias).update(
        customer_name=customer_name_expression(
            apps.get_model("crm", "Contact"), apps.get_model("crm", "Lead")
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0012_board_rotting"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="opportunity",
            name="customer_name",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=200,
                verbose_name="customer or lead name",
            ),
        ),
        migrations.RunPython(fill_customer_names, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["customer_name", "id"], name="crm_opp_customer_name_sort"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                fields=["campaign", "stage", "amount"], name="crm_opp_campaign_won_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                models.Case(
                    models.When(status__in=("pending", "in_progress"), then=models.Value(0)),
                    default=models.Value(1),
                    output_field=models.SmallIntegerField(),
                ),
                models.F("due_date"),
                models.F("id"),
                name="crm_task_overdue_sort",
            ),
        ),
    ]
