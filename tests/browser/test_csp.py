"""The Content-Security-Policy in a real Chromium: the pages and the API's interactive docs work
under it, and the browser reports no violation (an inline script or style, an eval, an image or
a connection elsewhere would each be reported)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import Personas

pytestmark = pytest.mark.browser

# Collects every violation the browser reports, from the moment the document starts.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.lineNumber}`);
});
"""


@pytest.fixture
def staff(personas: Personas) -> Personas:
    """The county administrator may also use Django's admin (before the browser's loop runs)."""
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    return personas


def test_pages_and_the_api_docs_run_under_the_policy_without_violations(
    live_server: Any, staff: Personas, chromium: Any
) -> None:
    personas = staff
    password = personas.password
    admin_change = f"/admin/accounts/user/{personas.admin.pk}/change/"
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(10_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    def violations() -> list[str]:
        return list(page.evaluate("window.__violations"))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert violations() == []

    for path in ("/children/", "/account/two-step/"):
        page.goto(f"{live_server.url}{path}")
        assert violations() == [], path
    page.get_by_role("button", name="Set up two-step sign-in").click()
    page.wait_for_load_state()
    assert page.locator("figure.qr svg").count() == 1
    assert violations() == []

    # Django's admin, which county administrators use, has no inline code either.
    for path in ("/admin/", "/admin/accounts/user/", admin_change, "/admin/carers/carer/add/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("#content").count() == 1, path
        assert violations() == [], path

    # Swagger UI: the docs load the schema and render every operation, with nothing blocked.
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    assert page.locator(".opblock").count() > 5
    assert violations() == []
    assert not [text for text in console if "Content Security Policy" in text]
    context.close()
