from django.urls import include, path

from tradeport.accounts.views import language_switch
from tradeport.system import views as system

urlpatterns = [
    path("", system.workbench, name="workbench"),
    path("healthz", system.healthz, name="healthz"),
    path("i18n/setlang/", language_switch, name="set_language"),
    path("console/", include("tradeport.system.console_urls")),
    path("org/", include("tradeport.org.urls")),
    path("codes/", include("tradeport.codes.urls")),
    path("customers/", include("tradeport.customers.urls")),
    path("mail/", include("tradeport.mail.urls")),
    path("followup/", include("tradeport.followup.urls")),
    path("", include("tradeport.accounts.urls")),
]
