"""The permission matrix: one call checks a URL for every kind of user.

    check_matrix(client, url, anonymous=302, outsider=403, salesperson=403,
                 manager=200, admin=200)

Each keyword names a user fixture and the status that user must get. Every
page joins the matrix in one line, so a view that forgets its guard fails.
"""

from django.test import Client

from conftest import sign_in


def check_matrix(url: str, *, users: dict, method: str = "get", data=None, **expected: int) -> None:
    """`users` maps role name to account (None for anonymous); `expected` maps role name to status."""
    failures = []
    for role, status in expected.items():
        client = Client()
        account = users.get(role)
        if account is not None:
            sign_in(client, account)
        response = getattr(client, method)(url, data or {})
        if response.status_code != status:
            failures.append(f"{role}: expected {status}, got {response.status_code}")
        if response.get("Content-Type", "").startswith("text/html") and not has_strict_policy(response):
            failures.append(f"{role}: no strict Content-Security-Policy on the HTML answer")
    assert not failures, f"{method.upper()} {url}: " + "; ".join(failures)


def has_strict_policy(response) -> bool:
    """GEN-01: the page admits scripts from Tradeport itself only: no inline script, no eval."""
    policy = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.split()}
    scripts = directives.get("script-src", directives.get("default-src"))
    return bool(scripts) and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and (
        directives.get("default-src") in (["'self'"], ["'none'"]))
