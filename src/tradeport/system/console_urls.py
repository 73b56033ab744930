from django.urls import path

from tradeport.accounts import views as accounts
from tradeport.audit import views as audit
from tradeport.system import views as system

app_name = "console"

urlpatterns = [
    path("", system.console_home, name="home"),
    path("options/", system.option_list, name="option_list"),
    path("options/<slug:key>/", system.option_update, name="option_update"),
    path("accounts/", accounts.account_list, name="account_list"),
    path("accounts/new/", accounts.account_create, name="account_create"),
    path("accounts/<int:pk>/", accounts.account_update, name="account_update"),
    path("accounts/<int:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("accounts/<int:pk>/permissions/", accounts.account_permissions, name="account_permissions"),
    path("templates/<slug:template>/", accounts.template_permissions, name="template_permissions"),
    path("management-permissions/", accounts.management_matrix, name="management_matrix"),
    path("online/", accounts.online_list, name="online_list"),
    path("online/<int:pk>/logout/", accounts.online_force_logout, name="online_force_logout"),
    path("logs/system/", audit.system_log, name="system_log"),
    path("logs/operations/", audit.operation_log, name="operation_log"),
    path("logs/operations.csv", audit.operation_log_csv, name="operation_log_csv"),
    path("logs/archive/", audit.archive_log, name="archive_log"),
]
