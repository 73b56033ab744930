from django.urls import path

from tradeport.customers import ownership_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("query/", views.customer_query, name="customer_query"),
    path("new/", views.customer_create, name="customer_create"),
    path("new/check/", views.duplicate_check, name="duplicate_check"),
    path("picker/", views.customer_picker, name="customer_picker"),
    path("picker/products/", views.product_picker, name="product_picker"),
    path("import/", views.customer_import, name="customer_import"),
    path("export.xlsx", views.customer_export, name="customer_export"),
    path("assign/", views.customer_bulk_assign, name="customer_bulk_assign"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_update, name="customer_update"),
    path("<int:pk>/delete/", views.customer_delete, name="customer_delete"),
    path("<int:pk>/restore/", views.customer_restore, name="customer_restore"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("ownership/", ownership_views.ownership_setup, name="ownership_setup"),
    path("ownership/mode/", ownership_views.ownership_mode, name="ownership_mode"),
    path("ownership/move/", ownership_views.ownership_move, name="ownership_move"),
    path("ownership/regions/<int:pk>/", ownership_views.region_setting, name="region_setting"),
    path("ownership/regions/<int:pk>/push-down/", ownership_views.region_push_down, name="region_push_down"),
    path("ownership/query/", ownership_views.ownership_query, name="ownership_query"),
    path("ownership/query.csv", ownership_views.ownership_query_csv, name="ownership_query_csv"),
    path("ownership/query/save/", ownership_views.saved_query_save, name="saved_query_save"),
    path("ownership/query/<int:pk>/default/", ownership_views.saved_query_default, name="saved_query_default"),
    path("ownership/query/<int:pk>/delete/", ownership_views.saved_query_delete, name="saved_query_delete"),
    path("ownership/transfer/", ownership_views.ownership_transfer, name="ownership_transfer"),
]
