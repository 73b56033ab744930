from django.urls import path

from tradeport.codes import views

app_name = "codes"

urlpatterns = [
    path("", views.group_list, name="group_list"),
    path("<slug:key>/new/", views.item_create, name="item_create"),
    path("items/<int:pk>/", views.item_update, name="item_update"),
    path("items/<int:pk>/toggle/", views.item_toggle, name="item_toggle"),
    path("items/<int:pk>/delete/", views.item_delete, name="item_delete"),
]
