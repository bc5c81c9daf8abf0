"""Every page every role can reach, in a real Chromium, at phone and desktop width, in both
languages: a small demo county (the demo logins, paired, with the demo's year of history:
visits, examinations, screenings, wishes, events and alerts, some still open), and
each page of the one URLconf that answers a GET, its ids filled with records the login may reach.

On every page: no server error, no horizontal overflow at 360 px or 1366 px, no raw HTML in the
title, and on Chinese pages no English code (a snake_case token or a stored choice value) and no
untranslated message in the visible text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern, reverse
from django.utils import timezone

from care365.accounts.access import (
    areas_for_user,
    carers_for_user,
    children_for_user,
    managed_users_for_user,
    organisations_for_user,
)
from care365.accounts.models import User
from care365.accounts.services import user_invite_link
from care365.care.access import gift_events_for_user
from care365.care.services.wishes import wish_post
from care365.carers.models import Organisation
from care365.core.tests.routes import page_patterns
from care365.insights.reports.services import report_request
from care365.network.access import (
    conferences_for_user,
    conferences_of_area,
    drop_outs_for_user,
    mandatory_reports_for_user,
    referrals_for_user,
    school_children_for_user,
    schools_for_user,
)
from care365.network.models import ConferenceAction
from care365.network.services import (
    conference_action_add,
    conference_attendee_add,
    conference_create,
    conference_hold,
    mandatory_report_submit,
    referral_accept,
    referral_create,
)
from care365.pairing.models import PairingRun
from care365.protection.access import alerts_for_user
from care365.protection.services.alerts import alert_raise, help_link_issue
from care365.protection.services.webhooks import webhook_endpoint_create
from care365.registry.models import Child, Consent, ConsentPurpose
from care365.seeding.seed import seed_county
from care365.seeding.seed.demo import DEMO_LOGINS, demo_users_ensure
from care365.seeding.seed.gifts import demo_gifts
from care365.seeding.seed.history import history_seed
from care365.seeding.seed.network import demo_schools

# What the crawl looks at (layout, language, the title) is what the browser shows, the same
# whatever the database; on PostgreSQL each page is requested by the page access matrix and, with
# the demo's year in it, by each demo login (care365/seeding/tests/test_history.py). The crawl
# is a quarter of the suite's time, so it runs on SQLite only.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="what a browser shows; run on SQLite"),
]

WIDTHS = (360, 1366)
LANGUAGES = ("zh-hans", "en")
CHILDREN = 80
# The live alert stream never ends: pages are crawled without it.
EVENTS = re.compile(r"/api/v1/events")
LOGIN_FIELDS = ("#id_username", "#id_password")
# Where to leave a screenshot of each page with a problem, for a person to look at (unset: none).
SHOTS = os.environ.get("CARE365_SCREENSHOTS", "")


@dataclass
class Crawl:
    password: str
    # login ("" for someone signed out) -> the pages to visit, as (route name, path)
    paths: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # stored choice values (English codes) that must not show on a Chinese page
    codes: frozenset[str] = frozenset()
    # the English message ids of the catalogue, as they would show untranslated
    msgids: frozenset[str] = frozenset()


def _allowed_methods(view: Callable[..., Any]) -> set[str] | None:
    """The HTTP methods a view accepts, from require_POST/require_http_methods or a class's
    http_method_names; None when any."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names}
    seen: set[int] = set()
    stack: list[Any] = [view]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for cell in getattr(fn, "__closure__", None) or ():
            value = cell.cell_contents
            if (
                isinstance(value, list)
                and value
                and all(isinstance(m, str) and m.isupper() for m in value)
            ):
                return set(value)
            if callable(value):
                stack.append(value)
        wrapped = getattr(fn, "__wrapped__", None)
        if wrapped is not None:
            stack.append(wrapped)
    return None


def get_routes() -> dict[str, URLPattern]:
    """The page routes that answer a GET."""
    routes = {}
    for name, pattern in page_patterns().items():
        methods = _allowed_methods(pattern.callback)
        if methods is None or "GET" in methods:
            routes[name] = pattern
    return routes


def _team_size(child: Child) -> int:
    return child.pairings.filter(until__isnull=True).count()


def _best_child(user: User) -> Child | None:
    """The child of the login's with the biggest team (the fullest child page)."""
    children = list(children_for_user(user).order_by("pk")[:60])
    return max(children, key=_team_size, default=None)


def _choice_codes() -> frozenset[str]:
    from django.apps import apps

    codes: set[str] = set()
    for model in apps.get_models():
        if not model.__module__.startswith("care365."):
            continue
        for f in model._meta.get_fields():
            choices = getattr(f, "choices", None)
            if not isinstance(f, models.Field) or not choices:
                continue
            for value, _label in f.flatchoices:
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]{2,}", value):
                    codes.add(value)
    return frozenset(codes)


def _msgids() -> frozenset[str]:
    """The catalogue's English message ids of three words or more, as a Chinese page would show
    them untranslated (shorter ones, such as "SMS" or a name, may be meant to stay)."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("zh-hans")._catalog  # type: ignore[attr-defined]
    found: set[str] = set()
    for key, _translated in catalog.items():
        text = (key[0] if isinstance(key, tuple) else key).strip()
        if text and "%" not in text and "{" not in text and len(text.split()) >= 3:
            found.add(text)
    return frozenset(found)


# Routes that answer with a file to download (an .xlsx), not a page.
DOWNLOADS = frozenset(
    {
        "imports:import-report",
        "imports:import-template",
        "insights:export-children",
        "insights:export-carers",
        "insights:export-due",
        "insights:export-risk",
        "insights:export-alerts",
        "insights:report-download",
    }
)


def _checked_import(director: User) -> Any:
    """A checked import of the director's, one of its rows with an error (its report shows)."""
    import tempfile
    from datetime import date
    from pathlib import Path

    from care365.accounts.access import county_of_user
    from care365.imports import services as imports
    from care365.imports.tests.helpers import CHILD_HEADER, child_row, write_csv

    assert director.area is not None
    village = director.area.name
    rows = [
        child_row("导入甲", "女", date(2015, 3, 9), 2, **{"所在村（社区）": village}),
        child_row(
            "导入乙", "女", date(2015, 3, 9), 4, **{"所在村（社区）": village, "出生日期": "x"}
        ),
    ]
    path = write_csv(Path(tempfile.mkdtemp()) / "register.csv", CHILD_HEADER, rows)
    county = county_of_user(director)
    assert county is not None
    record = imports.import_start(
        actor=director, kind="children", county=county, path=path, file_name="register.csv",
        source="page", keep_file=True,
    )  # fmt: skip
    return imports.import_check(record, path)


def _shown(
    user: User, paths: list[tuple[str, str]], with_ids: set[str], filled: set[str]
) -> list[tuple[str, str]]:
    """The paths the browser is to look at. Each is first asked for as the user: no server
    error; a redirection is left out (the browser would not look at it); of the pages the user
    may not open (403) or that are not theirs (404), one of each stays for the browser, since
    the refusal's page is the same whatever the address. `filled` gains the routes of
    `with_ids` (an id in their address) that answered the user."""
    client = Client()
    client.force_login(user)
    shown, refused = [], set()
    for name, path in paths:
        status = client.get(path).status_code
        assert status < 500, (user.username, path, status)
        if status < 400 and name in with_ids:
            filled.add(name)
        if status in (301, 302):
            continue
        if status in (403, 404):
            if status in refused:
                continue
            refused.add(status)
        shown.append((name, path))
    return shown


@pytest.fixture
def crawl(transactional_db: None, settings: Any) -> Crawl:
    """A small demo county with its year, an open alert, a help link and a wish, and each
    login's paths.
    Everything is read and written here, before the browser's loop runs."""
    seed_county(children=CHILDREN, seed=365, progress=False)
    demo_users_ensure()
    history_seed(days=365, seed=365)
    users = {u.username: u for u in User.objects.filter(username__in=[n for n, *_ in DEMO_LOGINS])}
    admin, director = users["admin"], users["director"]

    child = _best_child(director)
    assert child is not None
    alert_raise(actor=director, child=child, kind="danger", note="门口有陌生人")
    police_child = _best_child(users["police"])
    if police_child is not None and police_child != child:
        alert_raise(actor=admin, child=police_child, kind="suspected_abuse", note="身上有伤")
    Consent.objects.get_or_create(
        child=child,
        purpose=ConsentPurpose.VOLUNTEER,
        withdrawn_on=None,
        defaults={"given_on": "2025-01-01"},
    )
    wish_post(actor=director, child=child, what="一套画笔", cost_yuan=40, note="")
    _link, token = help_link_issue(actor=admin, child=child)
    run = PairingRun.objects.order_by("-pk").first()
    imported = _checked_import(director)
    report = report_request(
        actor=admin, kind="monthly", period="2026-11", area=admin.area, language="en"
    )
    # A public mandatory report of a child the registry does not know, in the director's village.
    mandatory_report_submit(
        village_id=director.area_id,
        reporter_name="陈老师",
        reporter_phone="13912345678",
        reporter_role="teacher",
        child_name="王小明",
        child_age=8,
        child_where="村口的老房子",
        situation="abandoned",
        what_seen="孩子一个人在家好几天了",
        client_ip="127.0.0.9",
    )

    # A referral of the director's child to a social-work agency of the county, answered.
    agency = Organisation.objects.create(
        kind="social_work",
        name="阳光社工服务中心",
        area=admin.area,
        contact_name="李社工",
        contact_phone="13905781234",
        contact_email="intake@sunshine.example",
        services=["counselling", "legal_aid"],
    )
    # Its own system hears of its referrals by webhook: the deliveries' list has rows.
    webhook_endpoint_create(
        actor=admin, organisation=agency, url="https://sunshine.example/care365/hook"
    )
    referral = referral_create(
        actor=director,
        child=child,
        organisation_id=agency.pk,
        service="counselling",
        reason="父母外出后情绪低落，需要心理辅导",
    )
    referral_accept(actor=admin, referral=referral)
    # A referral to the demo's social-work agency, whose staff's login ("agency") answers it.
    staff = users.get("agency")
    if staff is not None and staff.organisation is not None:
        referral_create(
            actor=director,
            child=child,
            organisation_id=staff.organisation_id,
            service=staff.organisation.services[0],
            reason="与祖父母冲突频繁，夜不归宿",
            referrer_phone="13905786601",
        )
    # A case conference of the director's child, held, with an action the director owns.
    conference = conference_create(
        actor=admin,
        child=child,
        held_on=timezone.localdate(),
        place="县民政局会议室",
        reason="父母外出后多次夜不归宿",
    )
    conference_attendee_add(actor=admin, conference=conference, user_id=director.pk)
    conference_action_add(
        actor=admin,
        conference=conference,
        what="每周家访一次",
        owner_id=director.pk,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    conference_hold(
        actor=admin, conference=conference, summary="讨论了家庭情况", decisions="每周家访"
    )

    # The teacher's school roll, with absences and a drop-out followed with the education bureau.
    demo_schools(director=director, teacher=users.get("teacher"))
    # The Children's Day gifts of the director's village, from the county's donating company.
    demo_gifts(director=director, admin=admin)

    routes = get_routes()
    with_ids = {n for n, p in routes.items() if "<" in str(p.pattern)} - DOWNLOADS
    result = Crawl(password=settings.DEMO_PASSWORD, codes=_choice_codes(), msgids=_msgids())
    filled: set[str] = set()
    for username, user in users.items():
        own = _best_child(user)
        alert = alerts_for_user(user).order_by("-pk").first()
        # Every carer of the history has a login: a few carers' pages are enough to look at.
        carers = list(carers_for_user(user).filter(user__isnull=False).order_by("pk")[:3])
        # The agency (with its webhook endpoint) for the county's administrator.
        organisation = (
            agency if user == admin else organisations_for_user(user).order_by("pk").first()
        )
        village = areas_for_user(user).filter(level="village").order_by("code").first()
        managed = managed_users_for_user(user).exclude(pk=user.pk).order_by("pk").first()
        # A teacher opens no child's record: their school's roll is their way to a child.
        pupil = school_children_for_user(user).order_by("pk").first() if own is None else None
        ids: dict[str, list[int]] = {
            "child_id": [own.pk] if own else [pupil.pk] if pupil else [],
            "alert_id": [alert.pk] if alert else [],
            "carer_id": [c.pk for c in carers],
            "run_id": [run.pk] if run else [],
            "import_id": [imported.pk] if username == "director" else [],
            "report_id": [report.pk] if user == admin else [],
            "organisation_id": [organisation.pk] if organisation else [],
            "area_id": sorted({a for a in (user.area_id, village.pk if village else None) if a}),
            "user_id": [managed.pk] if managed else [user.pk],
            "referral_id": list(
                referrals_for_user(user).order_by("-pk").values_list("pk", flat=True)[:1]
            ),
            "conference_id": list(
                conferences_for_user(user).order_by("-pk").values_list("pk", flat=True)[:1]
            ),
            # An open action of a conference the user runs: the form that changes it.
            "action_id": list(
                ConferenceAction.objects.filter(
                    conference__in=conferences_of_area(user), state=ConferenceAction.State.OPEN
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:1]
            ),
            "school_id": list(
                schools_for_user(user).order_by("pk").values_list("pk", flat=True)[:1]
            ),
            "drop_out_id": list(
                drop_outs_for_user(user).order_by("-pk").values_list("pk", flat=True)[:1]
            ),
            "mandatory_report_id": list(
                mandatory_reports_for_user(user).order_by("-pk").values_list("pk", flat=True)[:1]
            ),
            "event_id": list(
                gift_events_for_user(user).order_by("-pk").values_list("pk", flat=True)[:1]
            ),
        }
        paths = []
        for name, pattern in routes.items():
            if name in DOWNLOADS:
                continue
            params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
            if not params:
                paths.append((name, reverse(name)))
            elif len(params) == 1 and params[0] in ids:
                paths += [(name, reverse(name, kwargs={params[0]: pk})) for pk in ids[params[0]]]
            elif params == ["child_id", "role"] and own is not None:
                # Assigning a carer of one role by hand (county administrators).
                paths.append((name, reverse(name, kwargs={"child_id": own.pk, "role": "police"})))
        result.paths[username] = _shown(user, paths, with_ids, filled)
    help_page = "protection:help-page"
    # A new user's one-time link to set a password, as they open it, signed out.
    newcomer = User.objects.create(username="newcomer", role="director", area=director.area)
    result.paths[""] = [
        ("web:login", reverse("web:login")),
        (help_page, reverse(help_page, args=[token])),
        ("network:report-page", reverse("network:report-page")),
        ("network:report-status", reverse("network:report-status")),
        ("web:password-set", user_invite_link(actor=admin, user=newcomer)),
    ]
    filled.add("web:password-set")
    # Every page with an id in its address is shown to someone (files to download aside).
    assert with_ids - filled == {help_page}
    return result


# The page's title and visible text, the elements that stick out of the window when the page
# is wider than it, the table cells, labels and badges squeezed to a character or two a line,
# and the rows of phone cards with a label beside nothing.
LOOK = """() => {
  const width = window.innerWidth;
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const where = el.closest("section[class], section[id], table[class]");
    const within = where && where !== el
      ? ` in ${where.tagName.toLowerCase()}${where.id ? "#" + where.id : ""}` +
        `${where.className ? "." + where.className.trim().split(/\\s+/).join(".") : ""}`
      : "";
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}${within}`;
  };
  const look = {title: document.title, text: "", wide: null, squeezed: [], empty: []};
  if (document.documentElement.lang.startsWith("zh")) look.text = document.body.innerText;
  if (document.documentElement.scrollWidth > width) {
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      const head = el.closest("thead");
      if (head && head.getBoundingClientRect().width <= 1) continue;  // cards: hidden heads
      if (box.right > width + 1 && box.width > 0) {
        out.push(`${name(el)} right=${Math.round(box.right)}`);
      }
    }
    look.wide = {scrollWidth: document.documentElement.scrollWidth, elements: out.slice(-4)};
  }
  const cells = "main td, main th, main dt, main dd, main .badge, main label";
  for (const el of document.querySelectorAll(cells)) {
    const text = el.innerText.trim();
    if (text.length < 3 || el.offsetParent === null || el.closest(".sr-only")) continue;
    const head = el.closest("thead");
    if (head && head.getBoundingClientRect().width <= 1) continue;  // cards: labels, not heads
    const style = getComputedStyle(el);
    const em = parseFloat(style.fontSize);
    const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const line = parseFloat(style.lineHeight) || 1.5 * em;
    if (inner < 2.2 * em && el.clientHeight >= 2.5 * line) {
      look.squeezed.push(`${name(el)} "${text.slice(0, 12)}" ${Math.round(inner)}px wide`);
    }
  }
  // A card row (a table cell shown as a block) whose label stands beside nothing.
  for (const el of document.querySelectorAll("main td[data-label]")) {
    if (getComputedStyle(el).display === "table-cell" || el.offsetParent === null) continue;
    const label = getComputedStyle(el, "::before").content;
    const shown = [...el.querySelectorAll("*")].some((c) => c.getBoundingClientRect().width > 1);
    if (label !== "none" && label !== '""' && !el.innerText.trim() && !shown) {
      look.empty.push(`${name(el)} "${el.dataset.label}"`);
    }
  }
  return look;
}"""

# What a Chinese page shows in English on purpose: the sign-in page names the demo logins, which
# are typed as they are.
TYPED_AS_THEY_ARE = {
    name: {username for username, *_ in DEMO_LOGINS}
    for name in ("web:login", "accounts:user-list", "accounts:user-edit")
}
# The report poster prints the public page's address under its QR code, to be typed as it is.
TYPED_AS_THEY_ARE["network:report-poster"] = {"report"}
# English still shown on Chinese pages, by page, until the pages name people rather than their
# logins. Each entry must still show: one that no longer does is to be removed from here.
KNOWN: dict[str, set[str]] = {}


def _english_on_chinese_page(text: str, crawl: Crawl) -> set[str]:
    """snake_case tokens, stored choice values and untranslated messages in the text."""
    found = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text))
    found |= {w for w in re.findall(r"(?<![\w@.])[a-z]{3,}(?![\w@.])", text) if w in crawl.codes}
    found |= {msgid for msgid in crawl.msgids if msgid in text}
    return found


def _sign_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill(LOGIN_FIELDS[0], username)
    page.fill(LOGIN_FIELDS[1], password)
    page.locator("form", has=page.locator(LOGIN_FIELDS[1])).locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/")


def _check(page: Any, name: str, who: str, crawl: Crawl, known: set[tuple[str, str]]) -> list[str]:
    """What is wrong with the page on screen, at each width."""
    problems = []
    for width in WIDTHS:
        if width != WIDTHS[0]:
            page.set_viewport_size({"width": width, "height": 800})
        look = page.evaluate(LOOK)
        if look["wide"]:
            problems.append(f"{who} at {width}px: wider than the window {look['wide']}")
        if look["squeezed"]:
            problems.append(f"{who} at {width}px: squeezed {look['squeezed'][:4]}")
        if look["empty"]:
            problems.append(f"{who} at {width}px: labels beside nothing {look['empty'][:4]}")
        if SHOTS and width == WIDTHS[0]:
            shot = re.sub(r"\W+", "-", who).strip("-")
            page.screenshot(path=os.path.join(SHOTS, f"{shot}.png"), full_page=True)
        if width != WIDTHS[0]:
            continue
        if re.search(r"<\w|&\w+;|&#", look["title"]):
            problems.append(f"{who}: raw HTML in the title {look['title']!r}")
        english = _english_on_chinese_page(look["text"], crawl) - TYPED_AS_THEY_ARE.get(name, set())
        known |= {(name, word) for word in english & KNOWN.get(name, set())}
        english -= KNOWN.get(name, set())
        if english:
            problems.append(f"{who}: English on a Chinese page {sorted(english)}")
    return problems


# A language at a time: `make test`'s processes crawl the two side by side.
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_reads_right_at_every_width_in_both_languages(
    live_server: Any, crawl: Crawl, chromium: Any, language: str
) -> None:
    base = live_server.url
    problems: list[str] = []
    known: set[tuple[str, str]] = set()
    visited = 0
    for username, pages in crawl.paths.items():
        context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 800})
        context.route(EVENTS, lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            _sign_in(page, base, username, crawl.password)
        context.add_cookies([{"name": "django_language", "value": language, "url": base}])
        for name, path in pages:
            who = f"{username or 'signed out'} {language} {path}"
            page.set_viewport_size({"width": WIDTHS[0], "height": 800})
            response = page.goto(base + path)
            visited += 1
            status = response.status if response else 0
            if not 0 < status < 500:
                problems.append(f"{who}: status {status}")
                continue
            if page.url != base + path:  # sent on to another page of the list
                continue
            problems += _check(page, name, who, crawl, known)
        context.close()
    assert visited >= 200
    if language.startswith("zh"):  # KNOWN holds what Chinese pages show in English
        fixed = {(n, w) for n, words in KNOWN.items() for w in words} - known
        assert not fixed, f"no longer shown, to be removed from KNOWN: {sorted(fixed)}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
