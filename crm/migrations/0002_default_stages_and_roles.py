"""The default pipeline stages and the two role groups, with their permissions.

Replaces the old ``update_crm_database.py`` script: ``migrate`` on an empty database builds all.
Reversible: going back removes the stages (only if no opportunity uses them; the PROTECT on
``Opportunity.stage`` stops the reversal otherwise, so no deal loses its stage) and the groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# code, English name, Arabic name, order, default probability, closed, won
STAGES = [
    ("prospecting", "Prospecting", "استكشاف", 10, 10, False, False),
    ("qualification", "Qualification", "تأهيل", 20, 25, False, False),
    ("proposal", "Proposal", "عرض", 30, 50, False, False),
    ("negotiation", "Negotiation", "تفاوض", 40, 75, False, False),
    ("closing", "Closing", "إغلاق", 50, 90, False, False),
    ("closed_won", "Closed won", "مغلقة - ربح", 60, 100, True, True),
    ("closed_lost", "Closed lost", "مغلقة - خسارة", 70, 0, True, False),
]

SALES_REP = "Sales rep"
SALES_MANAGER = "Sales manager"

CRM_MODELS = ["lead", "contact", "opportunity", "interaction", "task", "campaign"]

# Reps see everything and add or change the records of their day; they delete nothing.
# Which records a rep may change (their own, their tasks) is checked per object by the views.
REP_PERMISSIONS = [
    *(f"view_{model}" for model in [*CRM_MODELS, "stage", "stagechange"]),
    *(f"add_{model}" for model in CRM_MODELS),
    *(f"change_{model}" for model in CRM_MODELS),
]
# Managers change and delete everything, the pipeline's stages included.
MANAGER_PERMISSIONS = [
    *(
        f"{action}_{model}"
        for action in ("view", "add", "change", "delete")
        for model in [*CRM_MODELS, "stage"]
    ),
    "view_stagechange",
    "view_user",
]


def create_stages(apps, schema_editor):
    Stage = apps.get_model("crm", "Stage")
    for code, name, name_ar, order, probability, closed, won in STAGES:
        Stage.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_ar": name_ar,
                "order": order,
                "default_probability": probability,
                "is_closed": closed,
                "is_won": won,
            },
        )


def remove_stages(apps, schema_editor):
    Stage = apps.get_model("crm", "Stage")
    Stage.objects.filter(code__in=[stage[0] for stage in STAGES]).delete()


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ((SALES_REP, REP_PERMISSIONS), (SALES_MANAGER, MANAGER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label__in=["crm", "auth"], codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions not found: {sorted(missing)}")
        group.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[SALES_REP, SALES_MANAGER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_stages, remove_stages),
        migrations.RunPython(create_roles, remove_roles),
    ]
