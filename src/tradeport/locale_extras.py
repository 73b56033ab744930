"""Texts Django shows but does not translate into Chinese, or translates in words Tradeport does
not use (你 for 您, 帐号 for 账号); listed here so that makemessages puts them in Tradeport's
catalogue, which takes precedence over Django's."""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_TEXTS = (
    gettext_noop("- Select an option -"),  # Django 6.1's empty choice in select boxes
    # django.contrib.auth: the password change form and the password validators' help.
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    ngettext_lazy("Your password must contain at least %(min_length)d character.",
                  "Your password must contain at least %(min_length)d characters.", "min_length"),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("This account is inactive."),
    gettext_noop("Designates whether this user should be treated as active. Unselect this instead of deleting accounts."),
    # django.views.csrf: Django's own CSRF failure page.
    gettext_noop("If you are using the <meta name=\"referrer\" content=\"no-referrer\"> tag or including the "
                 "“Referrer-Policy: no-referrer” header, please remove them. The CSRF protection requires the "
                 "“Referer” header to do strict referer checking. If you’re concerned about privacy, use "
                 "alternatives like <a rel=\"noreferrer\" …> for links to third-party sites."),
    # django.forms: a tampered formset.
    gettext_noop("ManagementForm data is missing or has been tampered with. Missing fields: %(field_names)s. "
                 "You may need to file a bug report if the issue persists."),
)
