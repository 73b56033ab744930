from django.urls import path

from tradeport.followup import views

app_name = "followup"

urlpatterns = [
    path("contact/new/", views.contact_input, name="contact_input"),
    path("records/", views.record_list, name="record_list"),
    path("reminders/upcoming/", views.upcoming_reminders, name="upcoming_reminders"),
    path("reminders/<int:pk>/<slug:action>/", views.reminder_action, name="reminder_action"),
    path("reminders/level/<int:customer_pk>/<slug:action>/", views.level_reminder_action,
         name="level_reminder_action"),
    path("reminder-days/", views.reminder_days, name="reminder_days"),
    path("customers/", views.customer_views, name="customer_views"),
    path("customers/all/", views.customer_views, {"view": "all"}, name="customer_views_all"),
    path("customers/<int:pk>/", views.customer_record, name="customer_record"),
    path("customers/<int:pk>/folders/<slug:action>/", views.customer_folders, name="customer_folders"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("records/<int:pk>/attachments/<int:attachment_id>/", views.record_attachment, name="record_attachment"),
]
