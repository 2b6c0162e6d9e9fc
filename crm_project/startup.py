"""What the app insists on before it serves anything."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_without_secret_key() -> None:
    """Stop a server (WSGI, ASGI, runserver) from starting without SECRET_KEY.

    The settings allow an empty key so that commands needing no secret (makemigrations, say)
    still run; Django itself refuses anything that signs with it, and `check --deploy` fails.
    """
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own refusal of an empty key, said more helpfully
        key = ""
    if not key:
        raise ImproperlyConfigured(settings.MISSING_SECRET_KEY)
