"""Every page carries a strict Content-Security-Policy (GEN-01, READ-01): scripts come from Tradeport's own
static files only, no template runs inline script, and the mail body frame keeps its stricter policy."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import make_account, sign_in
from matrix import has_strict_policy

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "tradeport"


def every_url(patterns=None, prefix: str = ""):
    """A concrete path for every URL pattern of the project, ids filled with 1 and slugs with x."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from every_url(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            path = re.sub(r"<int:\w+>", "1", route)
            path = re.sub(r"<(?:slug|str|path|uuid)?:?\w+>", "x", path)
            yield pattern.name or route, "/" + path.lstrip("^").rstrip("$")


@pytest.fixture
def clients(db):
    admin = make_account("admin", is_superuser=True, is_staff=True, employee_name="系统管理员")
    manager = make_account("boss", template="manager", employee_name="经理")
    lily = make_account("lily", template="employee", employee_name="李丽")
    return {"anonymous": Client(), "admin": sign_in(Client(), admin), "manager": sign_in(Client(), manager),
            "salesperson": sign_in(Client(), lily)}


def test_every_url_pattern_answers_html_with_a_strict_policy(clients):
    """GEN-01: walk every URL pattern as each kind of user; every HTML answer (pages, 403, 404, forms)
    has a policy without inline script or eval."""
    urls = {url: name for name, url in every_url()}
    assert len(urls) > 120  # every page of the product, not a sample
    missing = []
    html_answers = 0
    for url, name in urls.items():
        if "logout" in url:
            continue  # would end the session the other URLs are walked with
        for role, client in clients.items():
            response = client.get(url)
            if response.get("Content-Type", "").startswith("text/html"):
                html_answers += 1
                if not has_strict_policy(response):
                    missing.append(f"{role} {name} {url} → {response.status_code}")
    assert not missing, missing
    assert html_answers > 300


def test_the_policy_admits_only_our_own_scripts(clients):
    """GEN-01: default-src 'self', script-src 'self' and nothing inline; frames only from us."""
    policy = clients["salesperson"].get("/").get("Content-Security-Policy")
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'self'", "form-action 'self'"):
        assert directive in policy, directive
    assert "unsafe-eval" not in policy


def test_no_template_carries_inline_script():
    """GEN-01: no <script> without src, no on…= handler attribute, no javascript: URL in any template."""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=\s*[\"']", r"javascript:"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{template.relative_to(TEMPLATES)}: {pattern}")
    assert not offenders, offenders


def test_htmx_evaluates_nothing(clients):
    """GEN-01: htmx is told not to eval attributes nor run scripts in swapped content."""
    page = clients["salesperson"].get("/").content.decode()
    assert '"allowEval": false' in page
    assert '"allowScriptTags": false' in page
