"""Texts Django shows but does not yet translate into Chinese; listed here so that makemessages
puts them in Tradeport's catalogue, which takes precedence over Django's."""

from django.utils.translation import gettext_noop

DJANGO_TEXTS = (
    gettext_noop("- Select an option -"),  # Django 6.1's empty choice in select boxes
)
