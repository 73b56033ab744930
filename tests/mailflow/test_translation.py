"""READ-06: [Translate] goes through the configured provider, or says how to configure one."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.mail.services import message_ingest
from tradeport.mail.translation import TranslationError

pytestmark = pytest.mark.django_db


class BracketingProvider:
    """A provider for the test: it marks the text and the target language instead of calling a service."""

    def translate(self, text: str, target_language: str) -> str:
        return f"[{target_language}] {text.strip()}"


class FailingProvider:
    def translate(self, text: str, target_language: str) -> str:
        raise TranslationError("the service is over its quota")


@pytest.fixture
def reader(world):
    client = Client(headers={"accept-language": "zh-hans"})
    sign_in(client, make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理"))
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de", body="Please quote 500 units.",
                                                                  message_id="<t1@hanse.de>")).mail
    return client, reverse("mail:mail_translate", args=[mail.pk])


def test_without_a_provider_the_button_says_how_to_configure_one(reader, settings):
    """READ-06: no provider: the answer names the setting to set."""
    settings.TRADEPORT_TRANSLATION_PROVIDER = ""
    client, url = reader
    assert "TRADEPORT_TRANSLATION_PROVIDER" in client.get(url).content.decode()


def test_a_provider_translates_into_the_readers_language(reader, settings):
    """READ-06: the configured provider gets the body and the reader's interface language."""
    settings.TRADEPORT_TRANSLATION_PROVIDER = "mailflow.test_translation.BracketingProvider"
    client, url = reader
    assert "[zh-hans] Please quote 500 units." in client.get(url).content.decode()


def test_a_failing_provider_is_reported(reader, settings):
    """READ-06: a provider's error is shown to the reader, not a server error."""
    settings.TRADEPORT_TRANSLATION_PROVIDER = "mailflow.test_translation.FailingProvider"
    client, url = reader
    response = client.get(url)
    assert response.status_code == 200
    assert "the service is over its quota" in response.content.decode()
