from django.urls import path

from tradeport.org import views

app_name = "org"

urlpatterns = [
    path("departments/", views.department_list, name="department_list"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department_update, name="department_update"),
    path("departments/<int:pk>/delete/", views.department_delete, name="department_delete"),
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/new/", views.employee_create, name="employee_create"),
    path("employees/<int:pk>/", views.employee_update, name="employee_update"),
    path("employees/<int:pk>/delete/", views.employee_delete, name="employee_delete"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/new/", views.region_create, name="region_create"),
    path("regions/<int:pk>/", views.region_update, name="region_update"),
    path("regions/<int:pk>/children/", views.region_children, name="region_children"),
    path("regions/<int:pk>/delete/", views.region_delete, name="region_delete"),
    path("pickers/regions/", views.region_picker, name="region_picker"),
    path("pickers/employees/", views.employee_picker, name="employee_picker"),
]
