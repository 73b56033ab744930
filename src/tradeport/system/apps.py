from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SystemConfig(AppConfig):
    name = "tradeport.system"
    verbose_name = _("System")

    def ready(self) -> None:
        from tradeport.system import audit_hooks  # noqa: F401
