from django.urls import path

from tradeport.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/menu/", views.menu_state, name="menu_state"),
    path("bindings/", views.binding_list, name="binding_list"),
    path("bindings/devices/<int:pk>/", views.device_decide, name="device_decide"),
    path("bindings/ip/<int:pk>/delete/", views.ip_binding_delete, name="ip_binding_delete"),
]
