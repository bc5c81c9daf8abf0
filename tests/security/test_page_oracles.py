"""No oracles on the pages (DESIGN.md): the children list offers only the filters a role may use
and refuses the others with a message; confirm-id answers match / no match; every reason asked
for follows one rule."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.models import AccessLog, AccessPurpose, IdLookup, User
from care365.pairing.models import Pairing
from care365.registry import idnumber
from care365.registry.models import Child, Consent, ConsentPurpose
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "核对监护人提供的户口簿"
REFUSAL = "Your role cannot filter, search or sort by this"


def pair(user: User, child: Child) -> None:
    assert user.carer is not None
    Pairing.objects.create(
        child=child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
    )
    Consent.objects.get_or_create(
        child=child,
        purpose=ConsentPurpose.VOLUNTEER,
        withdrawn_on=None,
        defaults={"given_on": date(2025, 1, 1)},
    )


def children_page(client: Client, query: str = "") -> tuple[int, str]:
    response = client.get(f"{reverse('registry:child-list')}{query}", HTTP_ACCEPT_LANGUAGE="en")
    return response.status_code, response.content.decode()


def test_volunteer_is_not_offered_sex_or_status_and_a_hand_made_url_is_refused(
    client: Client, personas: Personas
) -> None:
    pair(personas.volunteer, personas.child_a)
    client.force_login(personas.volunteer)
    status, html = children_page(client)
    assert status == 200
    assert 'name="sex"' not in html and 'name="status"' not in html
    assert 'name="age_max"' in html
    for query in ("?sex=M", "?status=difficulty_poverty"):
        status, html = children_page(client, query)
        assert status == 400
        assert REFUSAL in html
        assert f"/children/{personas.child_a.pk}/" not in html  # the list is not shown


def test_officer_is_offered_sex_but_not_status(client: Client, personas: Personas) -> None:
    pair(personas.officer, personas.child_a)
    client.force_login(personas.officer)
    status, html = children_page(client)
    assert 'name="sex"' in html and 'name="status"' not in html
    status, html = children_page(client, "?status=left_behind")
    assert status == 400 and REFUSAL in html


def test_volunteer_searches_given_names_only_and_never_id_numbers(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a  # 张小花
    pair(personas.volunteer, child)
    client.force_login(personas.volunteer)
    detail = f"/children/{child.pk}/"
    client.post(reverse("registry:child-search"), {"q": "张"})
    assert detail not in children_page(client)[1]
    client.post(reverse("registry:child-search"), {"q": "小花"})
    assert detail in children_page(client)[1]
    client.post(reverse("registry:child-search"), {"q": child.id_number})
    status, html = children_page(client)
    assert status == 400 and REFUSAL in html and detail not in html
    assert not IdLookup.objects.exists()


def test_director_searches_by_id_number_and_it_is_logged(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    client.post(reverse("registry:child-search"), {"q": child.id_number})
    status, html = children_page(client)
    assert status == 200 and f"/children/{child.pk}/" in html
    lookup = IdLookup.objects.get()
    assert (lookup.kind, lookup.matched, lookup.route) == ("search", 1, "registry:child-list")
    assert AccessLog.objects.filter(child=child, purpose=AccessPurpose.ID_SEARCH).exists()


def test_director_confirms_an_id_number_on_the_childs_page(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    page = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    assert child.id_number not in page and idnumber.mask(child.id_number) in page
    assert reverse("registry:child-confirm-id", args=[child.pk]) in page
    url = reverse("registry:child-confirm-id", args=[child.pk])

    yes = client.post(
        url,
        {"confirm-id_number": child.id_number, "confirm-reason": REASON},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert yes.status_code == 200
    assert "Match: the number typed is this child" in yes.content.decode()
    assert child.id_number not in yes.content.decode()  # not even sent back in the form
    wrong = idnumber.make("331127", child.birth_date, 2)
    no = client.post(
        url, {"confirm-id_number": wrong, "confirm-reason": REASON}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "No match" in no.content.decode()

    bad = client.post(
        url,
        {"confirm-id_number": child.id_number, "confirm-reason": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 400 and "at least 10 characters" in bad.content.decode()
    entries = AccessLog.objects.filter(child=child, purpose=AccessPurpose.CONFIRM_ID)
    assert [e.reason for e in entries] == [REASON, REASON]


def test_carers_get_no_confirm_form_and_are_refused(client: Client, personas: Personas) -> None:
    child = personas.child_a
    pair(personas.officer, child)
    client.force_login(personas.officer)
    page = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    assert reverse("registry:child-confirm-id", args=[child.pk]) not in page
    response = client.post(
        reverse("registry:child-confirm-id", args=[child.pk]),
        {"confirm-id_number": child.id_number, "confirm-reason": REASON},
    )
    assert response.status_code == 403


def test_export_asks_for_a_reason(client: Client, personas: Personas) -> None:
    child = personas.child_a
    client.force_login(personas.admin)
    url = reverse("registry:child-export", args=[child.pk])
    for reason in ("", "x", "导出"):
        response = client.post(url, {"export-reason": reason}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "attachment" not in response.get("Content-Disposition", "")
    assert not AccessLog.objects.filter(purpose=AccessPurpose.EXPORT).exists()
    ok = client.post(url, {"export-reason": "监护人申请查阅孩子的全部记录"})
    assert ok.status_code == 200
    entry = AccessLog.objects.get(purpose=AccessPurpose.EXPORT)
    assert entry.reason == "监护人申请查阅孩子的全部记录"


@pytest.mark.parametrize("reason", ["x", "..........", "aaaaaaaaaaaa", "核对户籍"])
def test_reveal_refuses_a_reason_that_is_not_a_sentence(
    client: Client, personas: Personas, reason: str
) -> None:
    client.force_login(personas.admin)
    url = reverse("registry:child-reveal-id", args=[personas.child_a.pk])
    response = client.post(url, {"reason": reason}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert personas.child_a.id_number not in response.content.decode()
    assert not AccessLog.objects.filter(purpose=AccessPurpose.REVEAL_ID).exists()


def test_break_the_glass_refuses_a_reason_that_is_not_a_sentence(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    response = client.post(
        reverse("accounts:child-break-glass"),
        {"id_number": personas.child_b.id_number, "reason": "急急急急急急急急急急"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors


def test_county_admin_sees_look_ups_that_found_nobody(client: Client, personas: Personas) -> None:
    nobody = idnumber.make("331127", date(2016, 1, 1), 123)
    client.force_login(personas.director_a)
    client.post(reverse("registry:child-search"), {"q": nobody})
    client.get(reverse("registry:child-list"))
    client.force_login(personas.admin)
    html = client.get(
        reverse("accounts:access-log") + "?log=lookups", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="lookups"' in html and "director" in html and "not found" in html
    assert nobody not in html
    client.force_login(personas.other_admin)
    other = client.get(reverse("accounts:access-log") + "?log=lookups").content.decode()
    assert "director" not in other.split('id="lookups"')[1]


def test_a_refused_reveal_shows_its_error_with_the_form_open(
    client: Client, personas: Personas
) -> None:
    """The reason's error is inside the reveal form: the form is open, or the admin sees a page
    that looks as if nothing happened."""
    client.force_login(personas.admin)
    url = reverse("registry:child-reveal-id", args=[personas.child_a.pk])
    response = client.post(url, {"reason": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert '<details class="reveal" open>' in html
    assert 'id="id_reason_error"' in html
    fresh = client.get(reverse("registry:child-detail", args=[personas.child_a.pk]))
    assert '<details class="reveal">' in fresh.content.decode()  # closed until asked for


def test_help_text_carries_the_id_its_field_points_to(client: Client, personas: Personas) -> None:
    """A field with help text names it in aria-describedby: the element must exist."""
    client.force_login(personas.admin)
    html = client.get(reverse("registry:child-detail", args=[personas.child_a.pk])).content.decode()
    assert 'aria-describedby="id_reason_helptext"' in html
    assert 'id="id_reason_helptext"' in html


def test_a_volunteer_list_has_no_sex_column(client: Client, personas: Personas) -> None:
    """A volunteer does not see a child's sex: the list shows no empty "Sex" column for it."""
    pair(personas.volunteer, personas.child_a)
    client.force_login(personas.volunteer)
    status, html = children_page(client)
    assert status == 200 and f"/children/{personas.child_a.pk}/" in html
    assert ">Sex<" not in html and 'data-label="Sex"' not in html
    client.force_login(personas.director_a)
    status, html = children_page(client)
    assert ">Sex<" in html and 'data-label="Sex"' in html


def test_a_carer_whose_search_finds_nobody_is_not_told_they_have_no_children(
    client: Client, personas: Personas
) -> None:
    """A volunteer with children whose search or hand-made filter finds none (or is refused)
    reads "no children match", not "no children are paired with you yet"."""
    pair(personas.volunteer, personas.child_a)
    client.force_login(personas.volunteer)
    for query in ("?age_min=17", "?sex=M"):
        html = children_page(client, query)[1]
        assert "No children match." in html
        assert "No children are paired with you yet." not in html
    client.post(reverse("registry:child-search"), {"q": "无此名"})
    html = children_page(client)[1]
    assert "No children match." in html and "paired with you yet" not in html
    client.post(reverse("registry:child-search"), {"clear": "1"})
    Pairing.objects.filter(carer=personas.volunteer.carer).delete()
    assert "No children are paired with you yet." in children_page(client)[1]


def test_an_id_number_search_is_one_look_up_however_often_the_list_is_shown(
    client: Client, personas: Personas
) -> None:
    """The search text stays in the session, so the list is shown again and again (the menu,
    the filters, the language): a search by ID number counts against the hourly limit once
    for each search typed, not once for each time the list is shown."""
    child = personas.child_a
    client.force_login(personas.director_a)
    client.post(reverse("registry:child-search"), {"q": child.id_number})
    for query in ("", "", "?age_min=1", "?page=1"):
        status, html = children_page(client, query)
        assert status == 200 and f"/children/{child.pk}/" in html
    assert IdLookup.objects.count() == 1
    assert AccessLog.objects.filter(child=child, purpose=AccessPurpose.ID_SEARCH).count() == 1
    # A filter still narrows the result; a new search is a new look-up.
    assert f"/children/{child.pk}/" not in children_page(client, "?age_min=17")[1]
    client.post(reverse("registry:child-search"), {"q": child.id_number})
    children_page(client)
    assert IdLookup.objects.count() == 2
    client.post(reverse("registry:child-search"), {"clear": "1"})
    children_page(client)
    assert IdLookup.objects.count() == 2


def test_the_search_text_is_not_kept_in_clear_in_the_session(
    client: Client, personas: Personas
) -> None:
    """Sessions are rows in the database: a name or an ID number searched for is kept there
    encrypted, and the list still finds by it."""
    from django.contrib.sessions.models import Session

    child = personas.child_a
    client.force_login(personas.director_a)
    for q in (child.id_number, child.name):
        client.post(reverse("registry:child-search"), {"q": q})
        assert f"/children/{child.pk}/" in children_page(client)[1]
        stored = "".join(f"{s.session_data}{s.get_decoded()}" for s in Session.objects.all())
        assert q not in stored


def test_a_reason_field_states_its_rule_before_anyone_is_refused(
    client: Client, personas: Personas
) -> None:
    """The child's page says what a reason must be (a sentence of at least 10 characters) beside
    each reason field, in the reader's language, before a refusal says it."""
    from care365.accounts.reasons import MIN_REASON_CHARS

    client.force_login(personas.admin)
    url = reverse("registry:child-detail", args=[personas.child_a.pk])
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    rule_en = f"A sentence of at least {MIN_REASON_CHARS} characters"
    assert en.count(rule_en) >= 3  # reveal, confirm, export
    assert zh.count(f"至少 {MIN_REASON_CHARS} 个字") >= 3 and rule_en not in zh
