"""Shared fixtures for the code-group tests (CODE-01..05)."""

import pytest


@pytest.fixture(autouse=True)
def english(settings):
    """English UI text unless a request asks for Chinese with Accept-Language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def manager_client(client, manager, signed_in):
    return signed_in(client, manager)


