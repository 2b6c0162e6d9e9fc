"""Settings for the test suite: the local defaults, whatever the shell has set.

Production settings are checked separately (``check --deploy`` in CI).
"""

import os

os.environ["DEBUG"] = "true"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .settings import *  # noqa: E402, F403

# Fast password hashing: tests make many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Static files come from the finders in tests; WhiteNoise would only warn about STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
