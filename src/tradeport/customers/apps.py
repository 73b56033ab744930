from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "tradeport.customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from tradeport.audit.services import track
        from tradeport.customers.models import Contact, Customer

        track(Customer, module="customers", exclude=("search_text", "phone_digits", "name_key", "updated_at"))
        track(Contact, module="customers")
