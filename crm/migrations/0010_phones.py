"""Phones matched by their E.164 form and emails ignoring case (crm.phones).

Leads and customers get ``phone_e164`` and ``email_key``, indexed, filled here for the rows
there are; ``search_text`` gains the phone's E.164 and national digits. The customers' old
``phone_key`` (the last 9 digits) and their index on ``UPPER(email)`` give way to them. Rows are
read and written in batches by id, so a million leads never sit in memory at once.
"""

import re

import django.core.validators
from django.db import migrations, models

import crm.phones
from crm.phones import normalize_email, normalize_phone, phone_search_text
from crm.search import ARABIC_FOLDS, normalize

BATCH = 2000
# The searched fields as they are at this migration.
SEARCHED = {
    "lead": ("name", "company", "title", "email", "phone", "notes"),
    "contact": ("name", "company", "title", "email", "phone", "address", "notes"),
}


def batches(model, fields):
    """The model's rows in batches of ``BATCH``, by id (writes between reads are safe)."""
    last = 0
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").only(*fields)[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def searched_text(record, model_name, *, with_phone: bool) -> str:
    fields = SEARCHED[model_name]
    text = normalize(" ".join(str(getattr(record, name) or "") for name in fields))
    if with_phone and (forms := phone_search_text(record.phone)):
        text = f"{text} {forms}".strip()
    return text


def fill(apps, schema_editor):
    for model_name, fields in SEARCHED.items():
        model = apps.get_model("crm", model_name)
        for rows in batches(model, fields):
            for record in rows:
                record.phone_e164 = normalize_phone(record.phone)
                record.email_key = normalize_email(record.email)[:320]
                record.search_text = searched_text(record, model_name, with_phone=True)
            model.objects.bulk_update(rows, ["phone_e164", "email_key", "search_text"])


def legacy_phone_key(phone: str) -> str:
    """The last 9 digits of a phone number, as migration 0003's ``phone_key`` held them."""
    digits = re.sub(r"\D", "", (phone or "").translate(ARABIC_FOLDS))
    return digits[-9:] if len(digits) >= 7 else ""


def unfill(apps, schema_editor):
    for model_name, fields in SEARCHED.items():
        model = apps.get_model("crm", model_name)
        for rows in batches(model, fields):
            written = ["search_text"]
            for record in rows:
                record.search_text = searched_text(record, model_name, with_phone=False)
                if model_name == "contact":
                    record.phone_key = legacy_phone_key(record.phone)
                    written = ["search_text", "phone_key"]
            model.objects.bulk_update(rows, written)


PHONE_VALIDATORS = [
    django.core.validators.RegexValidator(
        "^\\+?[\\d\\s().\\-/]{5,32}$",
        message="Enter a phone number: digits, spaces, +, -, ( and ) only, at least 5 characters.",
    ),
    crm.phones.validate_phone,
]


def reachable_fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="email_key",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                max_length=320,
                verbose_name="email (as compared)",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="phone_e164",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                editable=False,
                max_length=24,
                verbose_name="phone (E.164)",
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0009_contact_named_customer"),
    ]

    operations = [
        *reachable_fields("lead"),
        *reachable_fields("contact"),
        *(
            migrations.AlterField(
                model_name=model_name,
                name="phone",
                field=models.CharField(
                    blank=True, max_length=32, validators=PHONE_VALIDATORS, verbose_name="phone"
                ),
            )
            for model_name in ("lead", "contact", "historicallead", "historicalcontact")
        ),
        migrations.RunPython(fill, unfill, elidable=True),
        migrations.RemoveIndex(model_name="contact", name="crm_contact_email_upper_idx"),
        migrations.RemoveIndex(model_name="contact", name="crm_contact_phone_key_idx"),
        migrations.RemoveField(model_name="contact", name="phone_key"),
    ]
