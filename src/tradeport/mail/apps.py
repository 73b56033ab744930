from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "tradeport.mail"
    verbose_name = _("Mail")

    def ready(self) -> None:
        from tradeport.audit.services import track
        from tradeport.mail.models import AddressRule, BlockedAddress, Mailbox

        track(Mailbox, module="mail", secret=("password_encrypted", "smtp_password_encrypted"),
              exclude=("last_fetch_at", "last_success_at", "last_error", "failures", "next_fetch_at",
                       "lease_owner", "lease_until"))
        track(BlockedAddress, module="mail", exclude=("blocked_count",))
        track(AddressRule, module="mail")
