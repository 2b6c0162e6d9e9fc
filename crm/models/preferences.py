"""What each user chose for themselves, kept in the database so it follows them everywhere."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

# The logged-in user's saved language, or "" for none (the cookie and the browser decide),
# kept in the session: read once as they log in, then no page costs a query for it.
SESSION_KEY = "crm_language"
# A language picked before logging in (on the login page): saved as the user's when they do.
CHOSEN_KEY = "crm_language_chosen"


def language_codes() -> list[str]:
    """The codes of the languages the CRM speaks (``settings.LANGUAGES``)."""
    return [code for code, _name in settings.LANGUAGES]


class UserPreferenceManager(models.Manager):
    def language_of(self, user) -> str:
        """The language ``user`` chose, or "" if they never chose one."""
        return self.filter(user=user).values_list("language", flat=True).first() or ""

    def remember_language(self, *, user, language: str) -> UserPreference:
        """Keep ``language`` as ``user``'s language, making their preferences on first use."""
        if language not in language_codes():
            raise ValidationError(
                _("Choose one of the languages offered."), code="invalid_language"
            )
        preference, _created = self.update_or_create(user=user, defaults={"language": language})
        return preference

    remember_language.alters_data = True


class UserPreference(models.Model):
    """A user's own settings, the same on every device: for now, the language they read in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="preference",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    objects = UserPreferenceManager()

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=language_codes()),
                name="crm_userpreference_language_valid",
            )
        ]

    def __str__(self):
        return str(self.user)


def session_language(session, user) -> str:
    """``user``'s saved language, from the session, or from the database once per session."""
    if SESSION_KEY not in session:
        chosen = session.pop(CHOSEN_KEY, "")
        if chosen in language_codes():
            # Picked on the login page a moment ago: that choice wins over an older one.
            UserPreference.objects.remember_language(user=user, language=chosen)
            session[SESSION_KEY] = chosen
        else:
            session[SESSION_KEY] = UserPreference.objects.language_of(user)
    language = session[SESSION_KEY]
    return language if language in language_codes() else ""


@receiver(user_logged_in, dispatch_uid="crm_session_language")
def _read_language_on_login(sender, request, user, **kwargs):
    """Put the user's language in their new session, so their first page needs no query."""
    if request is not None and hasattr(request, "session"):
        session_language(request.session, user)
