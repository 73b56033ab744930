"""Steps every browser journey takes: signing in, and a preset account's first login."""

import re

from playwright.sync_api import expect


def log_in(page, site, username, password):
    page.goto(f"{site}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")


def first_login(page, site, username, new_password="Harbour-Lights-42"):
    """A preset account's first login: its password is its name and must be changed at once."""
    log_in(page, site, username, username)
    expect(page).to_have_url(re.compile(r"/password/$"))
    page.fill("input[name=old_password]", username)
    page.fill("input[name=new_password1]", new_password)
    page.fill("input[name=new_password2]", new_password)
    page.click("main button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
