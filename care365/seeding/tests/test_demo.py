"""`care365 demo --no-serve`: the demo logins linked to real records, usable only in demo mode;
the county comes paired, so the officer, doctor and volunteer each have children."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck
from care365.pairing.models import Pairing, PairingRun
from care365.registry.models import Child, ConsentPurpose
from care365.seeding.management.commands import demo

ROLES = {
    "admin": Role.COUNTY_ADMIN,
    "supervisor": Role.SUPERVISOR,
    "director": Role.DIRECTOR,
    "police": Role.POLICE,
    "doctor": Role.DOCTOR,
    "volunteer": Role.VOLUNTEER,
}


def run_demo(history: int = 0) -> str:
    """The demo's setup; without its year of history unless asked (test_history.py has it)."""
    out = StringIO()
    call_command("demo", "--no-serve", "--history", str(history), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def small_demo(monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    monkeypatch.setattr(demo, "DEMO_CHILDREN", 200)


@pytest.mark.usefixtures("small_demo")
def test_demo_seeds_an_empty_registry_and_links_each_login_to_real_records() -> None:
    output = run_demo()

    assert Child.objects.count() == 200
    users = {u.username: u for u in User.objects.select_related("area", "carer__organisation")}
    assert {name: users[name].role for name in ROLES} == ROLES
    admin = users["admin"]
    assert admin.area is not None and admin.area.level == Area.Level.COUNTY
    assert admin.is_staff and admin.is_superuser
    supervisor, director = users["supervisor"], users["director"]
    assert supervisor.area is not None and supervisor.area.level == Area.Level.TOWNSHIP
    assert director.area is not None and director.area.parent_id == supervisor.area.pk
    assert Child.objects.filter(village=director.area).exists()
    for name in ("police", "doctor", "volunteer"):
        carer = users[name].carer
        assert carer is not None and carer.role == name
        org_area = carer.organisation.area
        assert supervisor.area.pk in (org_area.pk, org_area.parent_id)
        assert not users[name].is_staff
    volunteer = users["volunteer"].carer
    assert volunteer is not None
    assert volunteer.background_check == BackgroundCheck.PASSED and volunteer.trained_on
    assert volunteer.background_checked_on is not None
    assert volunteer.background_checked_on >= timezone.localdate() - timedelta(days=3 * 365)
    for name in ROLES:
        assert name in output
    assert "village children's director" in output and "儿童主任" in output

    # The county comes paired, approved by the demo admin, within each carer's capacity.
    run = PairingRun.objects.get()
    assert run.state == PairingRun.State.APPROVED and run.approved_by == admin
    paired = Pairing.objects.filter(until__isnull=True)
    assert paired.count() == run.figures["applied"]["started"] > 0
    for name in ("police", "doctor", "volunteer"):
        carer = users[name].carer
        assert carer is not None
        mine = set(paired.filter(carer=carer).values_list("child_id", flat=True))
        assert 0 < len(mine) <= carer.capacity, name
        # The login sees exactly those children.
        assert set(children_for_user(users[name]).values_list("pk", flat=True)) == mine, name
    volunteers_children = Child.objects.filter(
        pairings__carer=volunteer, pairings__until__isnull=True
    )
    assert not volunteers_children.exclude(
        consents__purpose=ConsentPurpose.VOLUNTEER, consents__withdrawn_on__isnull=True
    ).exists()
    for role in ("police", "doctor", "volunteer"):
        line = re.search(rf"{role} ([\d,]+) of 200", output)
        assert line is not None, role
        assert int(line[1]) == paired.filter(role=role).count()


@pytest.mark.usefixtures("small_demo")
def test_demo_logins_sign_in_with_demo_and_a_second_run_refreshes_them() -> None:
    call_command("seed", "--children", "150", "--seed", "2", verbosity=0, stderr=StringIO())
    run_demo()
    director = User.objects.get(username="director")
    director.set_password("something else")
    director.save()

    pairings = set(Pairing.objects.values_list("pk", "child", "role", "carer", "until"))
    carers = dict(User.objects.filter(carer__isnull=False).values_list("username", "carer"))

    run_demo()

    assert Child.objects.count() == 150  # an existing registry is not seeded again
    assert User.objects.filter(username__in=ROLES).count() == 6
    # Paired once: a second run neither proposes again nor moves the carers' logins.
    assert PairingRun.objects.count() == 1
    assert set(Pairing.objects.values_list("pk", "child", "role", "carer", "until")) == pairings
    assert dict(User.objects.filter(carer__isnull=False).values_list("username", "carer")) == (
        carers
    )
    client = Client()
    assert client.login(username="director", password="demo")
    assert client.get("/").status_code in (200, 302)


@pytest.mark.usefixtures("small_demo")
def test_the_demo_password_fails_outside_demo_mode(settings: Any) -> None:
    run_demo()
    assert authenticate(username="director", password="demo") is not None
    settings.DEMO = False
    assert authenticate(username="director", password="demo") is None
    assert not Client().login(username="admin", password="demo")


@pytest.mark.django_db
def test_demo_refuses_to_run_outside_demo_mode(settings: Any) -> None:
    settings.DEMO = False
    with pytest.raises(CommandError, match="only in demo mode"):
        run_demo()
    assert not Child.objects.exists()
    assert not User.objects.exists()


@pytest.mark.usefixtures("small_demo")
def test_every_demo_login_signs_in_and_gets_its_home_page() -> None:
    run_demo()
    for username in ROLES:
        client = Client()
        assert client.login(username=username, password="demo"), username
        response = client.get("/", follow=True)
        assert response.status_code == 200, username
        assert response.wsgi_request.user.username == username
        if username in ("police", "doctor", "volunteer"):  # their children are on their home
            user = User.objects.get(username=username)
            rows = response.context["rows"]
            assert rows, username
            assert {row["id"] for row in rows} <= set(
                children_for_user(user).values_list("pk", flat=True)
            )


@pytest.mark.usefixtures("small_demo")
def test_the_demo_agency_login_is_staff_of_the_countys_social_work_agency() -> None:
    from care365.carers.models import Organisation
    from care365.network.models import Referral
    from care365.seeding.seed.network import demo_referrals

    output = run_demo()
    agency = User.objects.select_related("organisation").get(username="agency")
    admin, director = User.objects.get(username="admin"), User.objects.get(username="director")
    assert agency.role == Role.ORG_STAFF and agency.organisation is not None
    assert agency.organisation.kind == Organisation.Kind.SOCIAL_WORK
    assert agency.organisation.area_id == admin.area_id
    assert "agency" in output and agency.organisation.name in output
    assert not children_for_user(agency).exists()
    # The demo's referrals (written with the history): the agency's in several states, answered
    # by its own login.
    assert demo_referrals(director=director, admin=admin) >= 5
    mine = Referral.objects.filter(organisation=agency.organisation)
    assert {"done", "accepted", "sent"} <= set(mine.values_list("state", flat=True))
    assert mine.filter(answered_by=agency).exists()
    client = Client()
    assert client.login(username="agency", password="demo")
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200 and "Our referrals" in home.content.decode()
    inbox = client.get("/organisation/referrals/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "overdue" in inbox
