from django.urls import path

from tradeport.mail import compose_views, followup_views, views

app_name = "mail"

urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mailboxes/receive-all/", views.receive_all, name="receive_all"),
    path("mailboxes/mine/", views.personal_mailbox, name="personal_mailbox"),
    path("mailboxes/<int:pk>/", views.mailbox_update, name="mailbox_update"),
    path("mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/receive/", views.mailbox_receive, name="mailbox_receive"),
    path("mailboxes/<int:pk>/quarantine/", views.quarantine_list, name="quarantine_list"),
    path("quarantine/<int:pk>/retry/", views.quarantine_retry, name="quarantine_retry"),
    path("quarantine/<int:pk>/raw/", views.quarantine_raw, name="quarantine_raw"),
    path("import/", views.import_list, name="import_list"),
    path("import/<int:pk>/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/rerun/", views.import_rerun, name="import_rerun"),
    path("system/", views.system_mail, name="system_mail"),
    path("system/recycle-bin/", followup_views.recycle_bin, name="recycle_bin"),
    path("compose/", compose_views.compose, name="compose"),
    path("outbox/", compose_views.outbox, name="outbox"),
    path("outbox/<int:pk>/<slug:action>/", compose_views.outbox_action, name="outbox_action"),
    path("followup/", followup_views.followup, name="followup"),
    path("followup/bulk/", followup_views.bulk, name="followup_bulk"),
    path("followup/undistributed/", followup_views.followup, {"queue": "undistributed"}, name="undistributed"),
    path("followup/<slug:queue>/", followup_views.followup, name="followup_queue"),
    path("<int:pk>/", followup_views.mail_read, name="mail_read"),
    path("<int:pk>/body/", followup_views.mail_body, name="mail_body"),
    path("<int:pk>/print/", followup_views.mail_print, name="mail_print"),
    path("<int:pk>/translate/", followup_views.mail_translate, name="mail_translate"),
    path("<int:pk>/attachments/<int:attachment_id>/", followup_views.mail_attachment, name="mail_attachment"),
    path("<int:pk>/<slug:action>/", followup_views.mail_action, name="mail_action"),
    path("blocked/", views.blocked_list, name="blocked_list"),
    path("blocked/<int:pk>/delete/", views.blocked_delete, name="blocked_delete"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
]
