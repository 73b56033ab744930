from django.urls import include, path
from django.views.i18n import set_language

from tradeport.system import views as system

urlpatterns = [
    path("", system.workbench, name="workbench"),
    path("healthz", system.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("console/", include("tradeport.system.console_urls")),
    path("", include("tradeport.accounts.urls")),
]
