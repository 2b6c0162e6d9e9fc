"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from crm_project.startup import refuse_without_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_project.settings")

application = get_asgi_application()
refuse_without_secret_key()
