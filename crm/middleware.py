"""A logged-in user reads the CRM in the language they chose, on whatever device they use.

``LocaleMiddleware`` picks a language from the cookie or the browser; for a logged-in user with a
saved language (``UserPreference``), ``UserLanguageMiddleware`` then puts that one in its place.
The saved language is read as the user logs in and kept in the session: pages cost no query.
"""

from __future__ import annotations

from django.utils import translation

from .models import UserPreference
from .models.preferences import CHOSEN_KEY, SESSION_KEY, language_codes, session_language


def remember_language(request, language: str) -> None:
    """Keep the language the user just picked: for their account, or until they log in."""
    if language not in language_codes():
        return
    if request.user.is_authenticated:
        UserPreference.objects.remember_language(user=request.user, language=language)
        request.session[SESSION_KEY] = language
    else:
        request.session[CHOSEN_KEY] = language


class UserLanguageMiddleware:
    """Activate the logged-in user's saved language; goes after ``AuthenticationMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (language := session_language(request.session, user)):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
