import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tradeport.system.presets import load_all

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Without these, Chromium tries to reach Google's services at every start.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, request):
    """A factory of pages, each in its own browser context (its own cookies), in a given language."""
    contexts = []

    def make(locale: str = "en-US"):
        context = chromium.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for index, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for page in context.pages:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{index}.png"), full_page=True)
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def site(live_server, transactional_db):
    """A running Tradeport with the presets of a new installation."""
    load_all(only=("accounts", "departments", "codes"))
    return live_server.url


@pytest.fixture
def admin_password_changed(site):
    """admin with its first-login password change already made; returns the password."""
    from tradeport.accounts.models import Account

    admin = Account.objects.get(username="admin")
    admin.set_password("Harbour-Lights-42")
    admin.must_change_password = False
    admin.save()
    return "Harbour-Lights-42"
