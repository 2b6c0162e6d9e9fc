"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

from crm_project.startup import refuse_without_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_project.settings")

application = get_wsgi_application()
refuse_without_secret_key()
