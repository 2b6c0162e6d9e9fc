"""Forms as a browser posts them back: what a page shows, with the fields a person changed."""


def page_form(client, url, **changes):
    """A reps' page form (``context["form"]``) as shown, with ``changes``."""
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    return {**{name: "" if value is None else value for name, value in data.items()}, **changes}


def admin_form(client, url, **changes):
    """An admin change, add or history form with its inline rows, as shown, with ``changes``.

    Keys of the form ``<prefix>-0-<field>`` in ``changes`` reach inline rows.
    """
    context = client.get(url).context
    form = context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if not field.disabled:
            data[name] = form[name].value()
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for row in formset.forms:
            for name in row.fields:
                data[row.add_prefix(name)] = row[name].value()
    data.update(changes)
    return {
        name: "" if value is None else value for name, value in data.items() if value is not False
    }


def inline_prefix(data, field="title"):
    """The prefix of the inline rows that have ``field`` (a lead's tasks, say)."""
    return next(key for key in data if key.endswith(f"-0-{field}")).removesuffix(f"-0-{field}")


def migrate_to(target):
    """Migrate the test database to ``target`` ([(app, migration)]) and return its models.

    SQLite's search index triggers name today's columns: they are dropped for the move and
    made again after it.
    """
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from crm import search_index

    executor = MigrationExecutor(connection)
    search_index.drop_triggers()
    executor.migrate(target)
    search_index.ensure()
    return executor.loader.project_state(target).apps


def migrate_to_latest():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return migrate_to(MigrationExecutor(connection).loader.graph.leaf_nodes("crm"))
