"""Steps every browser journey takes: signing in, and a preset account's first login."""

import re

from playwright.sync_api import expect


def log_in(page, site, username, password, *, refused=False):
    """Sign in and wait for the answer, so that the next goto cannot cut off the session cookie."""
    page.goto(f"{site}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")
    if refused:
        expect(page.locator("#login-error")).to_be_visible()
    else:
        expect(page).not_to_have_url(re.compile(r"/login/"))


def first_login(page, site, username, new_password="Harbour-Lights-42"):
    """A preset account's first login: its password is its name and must be changed at once."""
    log_in(page, site, username, username)
    expect(page).to_have_url(re.compile(r"/password/$"))
    page.fill("input[name=old_password]", username)
    page.fill("input[name=new_password1]", new_password)
    page.fill("input[name=new_password2]", new_password)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def choose_region(page, field_id, text):
    """Search the region picker and pick the match, once the search's answer has arrived."""
    page.click(f"[data-picker-open={field_id}]")
    with page.expect_response(lambda response: "q=" in response.url and "picker" in response.url):
        page.fill("#picker-modal-body input[type=search]", text)
    page.locator(f"#picker-modal-body [data-pick-label$='{text}']").first.click()
    expect(page.locator(f"#{field_id}_label")).to_have_value(re.compile(text))
