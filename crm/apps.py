from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "crm"
    verbose_name = _("CRM")

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from .automation import engine  # noqa: F401 (subscribes the rules' listener)
        from .notifications import handlers  # noqa: F401 (subscribes the listeners)
        from .search_index import after_migrate, before_migrate

        pre_migrate.connect(before_migrate, sender=self, dispatch_uid="crm.search_index.pre")
        post_migrate.connect(after_migrate, sender=self, dispatch_uid="crm.search_index")
