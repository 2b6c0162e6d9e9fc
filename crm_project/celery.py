"""The Celery application: the jobs of ``crm.jobs``, configured from the ``CELERY_*`` settings.

Production runs ``celery -A crm_project worker`` and ``celery -A crm_project beat`` beside the
app servers, all sharing ``REDIS_URL`` and the database (see the README).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_project.settings")

app = Celery("crm_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
