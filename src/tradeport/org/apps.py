from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "tradeport.org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from tradeport.audit.services import track
        from tradeport.org.models import Department, Employee, Region

        track(Department, module="org", exclude=("path",))
        track(Employee, module="org")
        track(Region, module="org", exclude=("path",))
