from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "tradeport.codes"
    verbose_name = _("Code groups")

    def ready(self) -> None:
        from tradeport.audit.services import track
        from tradeport.codes.models import CodeGroup, CodeItem

        track(CodeGroup, module="codes")
        track(CodeItem, module="codes")
