"""Case conferences (联席会议): the life cycle (convene, hold, actions, done, close) with its
audit rows, the risk list or a reason, overdue actions reminded once a day and listed for the
area, scope (another township's supervisor, another county's administrator, a volunteer of
another child: 404), what each role sees, bad input in both languages with nothing written, and
the pages (docs/network.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog, User
from care365.accounts.tests.api_client import Api
from care365.accounts.tests.factories import UserFactory
from care365.care.models import RiskScore
from care365.carers.tests.factories import CarerFactory
from care365.core.models import AuditEvent, Notice
from care365.network import services
from care365.network.models import CaseConference, ConferenceAction, ConferenceAttendee
from care365.pairing.tests.factories import PairingFactory, volunteer_consent
from care365.registry.models import Child
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "孩子近期多次夜不归宿，爷爷奶奶管不住"
DECISIONS = "派出所每周家访一次；学校安排心理老师谈话"


def on_risk_list(child: Child) -> None:
    RiskScore.objects.update_or_create(
        child=child,
        defaults={
            "village": child.village,
            "score": 9,
            "reasons": [],
            "on_list": True,
            "computed_on": timezone.localdate(),
        },
    )


def convene(api: Api, p: Personas, who: str = "admin", **changes: Any) -> Any:
    data: dict[str, Any] = {
        "child": p.child_a.pk,
        "held_on": timezone.localdate().isoformat(),
        "place": "鹤溪街道会议室",
        "format": "in_person",
    }
    data.update(changes)
    return api.post("/conferences", user=getattr(p, who), body=data)


def add_action(api: Api, p: Personas, cid: int, owner: User, **changes: Any) -> Any:
    data: dict[str, Any] = {
        "what": "每周家访一次，看孩子是否按时回家",
        "owner": owner.pk,
        "due_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    data.update(changes)
    return api.post(f"/conferences/{cid}/actions", user=p.admin, body=data)


def test_conference_life_cycle_with_audit(api: Api, paired_personas: Personas) -> None:
    p = paired_personas
    on_risk_list(p.child_a)
    made = convene(api, p)
    assert made.status_code == 201, made.content
    cid = made.json()["id"]
    assert made.json()["state"] == "planned" and made.json()["on_risk_list"] is True
    base = f"/conferences/{cid}"
    officer = api.post(
        f"{base}/attendees", user=p.admin, body={"user": p.officer.pk, "role": "派出所"}
    )
    assert officer.status_code == 201, officer.content
    named = api.post(f"{base}/attendees", user=p.admin, body={"name": "王校长", "role": "学校"})
    assert named.json() == {
        "id": ConferenceAttendee.objects.latest("pk").pk,
        "user": None,
        "name": "王校长",
        "organisation": None,
        "role": "学校",
    }
    nobody = api.post(f"{base}/attendees", user=p.admin, body={"role": "学校"})
    assert nobody.status_code == 422 and set(nobody.json()["errors"]) == {"name"}
    action = add_action(api, p, cid, p.officer)
    assert action.status_code == 201, action.content
    aid = action.json()["id"]
    assert action.json()["state"] == "open"
    assert api.post(f"{base}/close", user=p.admin).status_code == 409  # not held yet
    held = api.post(f"{base}/hold", user=p.admin, body={"decisions": DECISIONS})
    assert held.status_code == 200 and held.json()["state"] == "held"
    assert api.post(f"{base}/hold", user=p.admin, body={"decisions": "x"}).status_code == 409

    # Closing waits for the open action.
    waiting = api.post(f"{base}/close", user=p.admin)
    assert waiting.status_code == 409
    mine = api.get("/conference-actions", user=p.officer).json()
    assert [a["id"] for a in mine["items"]] == [aid]
    done = api.post(
        f"/conference-actions/{aid}/done", user=p.officer, body={"note": "已家访两次，孩子按时回家"}
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "done"
    again = api.post(f"/conference-actions/{aid}/done", user=p.officer, body={"note": "再次"})
    assert again.status_code == 409
    closed = api.post(f"{base}/close", user=p.admin)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"

    got = api.get(f"/conferences/{cid}", user=p.supervisor_a).json()
    assert got["state"] == "closed"
    assert got["decisions"] == DECISIONS
    assert [a["name"] for a in got["attendees"]][1] == "王校长"
    assert got["actions"][0]["note"] == "已家访两次，孩子按时回家"
    actions = list(
        AuditEvent.objects.filter(action__startswith="conference_").values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        [
            "conference_create",
            "conference_attendee_add",
            "conference_attendee_add",
            "conference_action_add",
            "conference_hold",
            "conference_action_done",
            "conference_close",
        ]
    )
    # Closed: nothing more is added (409).
    late = add_action(api, p, cid, p.officer)
    assert late.status_code == 409
    # What it says about the child is encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT decisions FROM network_caseconference WHERE id = %s", [cid])
        assert DECISIONS not in str(cursor.fetchone()[0])


def test_a_child_not_on_the_risk_list_needs_a_reason(api: Api, personas: Personas) -> None:
    refused = convene(api, personas, "supervisor_a")
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"reason"}
    assert not CaseConference.objects.exists()
    made = convene(api, personas, "supervisor_a", reason=REASON)
    assert made.status_code == 201
    assert made.json()["on_risk_list"] is False and made.json()["reason"] == REASON


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This field is required."), ("zh-hans", "这个字段是必填项。")],
)
def test_bad_input_in_both_languages_writes_nothing(
    api: Api, personas: Personas, language: str, words: str
) -> None:
    on_risk_list(personas.child_a)
    cid = convene(api, personas).json()["id"]
    bad = api.post(
        f"/conferences/{cid}/actions",
        user=personas.admin,
        body={
            "what": "  ",
            "owner": personas.other_admin.pk,  # another county's user
            "due_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
        language=language,
    )
    assert bad.status_code == 422
    errors = bad.json()["errors"]
    assert set(errors) == {"what", "owner", "due_on"}
    assert errors["what"] == [words]
    wrong_format = convene(api, personas, format="letter", language=language)
    assert wrong_format.status_code == 422
    assert set(wrong_format.json()["errors"]) == {"format"}
    assert not ConferenceAction.objects.exists()
    assert CaseConference.objects.count() == 1
    assert not AuditEvent.objects.filter(action="conference_action_add").exists()


def test_scope_is_404_for_others(api: Api, paired_personas: Personas) -> None:
    p = paired_personas
    on_risk_list(p.child_a)
    cid = convene(api, p).json()["id"]
    aid = add_action(api, p, cid, p.officer).json()["id"]
    supervisor_b = UserFactory.create(role="supervisor", area=p.township_b)
    # A volunteer of another child (child B, with the guardian's consent).
    assert p.volunteer.carer is not None
    carer_b = CarerFactory.create(role="volunteer", organisation=p.volunteer.carer.organisation)
    volunteer_b = UserFactory.create(role="volunteer", carer=carer_b)
    volunteer_consent(p.child_b)
    PairingFactory.create(child=p.child_b, role="volunteer", carer=carer_b)
    for user in (supervisor_b, p.other_admin, volunteer_b, p.director_b, p.outsider):
        assert api.get(f"/conferences/{cid}", user=user).status_code == 404, user.role
        assert (
            api.post(f"/conference-actions/{aid}/done", user=user, body={"note": "x"}).status_code
            == 404
        ), user.role
    assert convene(api, p, "other_admin").status_code == 404
    supervisor_b_made = api.post(
        "/conferences",
        user=supervisor_b,
        body={"child": p.child_a.pk, "held_on": timezone.localdate().isoformat()},
    )
    assert supervisor_b_made.status_code == 404
    # A director sees the child's conference but does not convene nor run it (403).
    assert convene(api, p, "director_a").status_code == 403
    assert add_action(api, p, cid, p.officer).status_code == 201
    refused = api.post(
        f"/conferences/{cid}/actions",
        user=p.director_a,
        body={"what": "x", "owner": p.officer.pk, "due_on": timezone.localdate().isoformat()},
    )
    assert refused.status_code == 403
    assert api.get("/conferences", user=p.director_a).status_code == 403
    assert api.get("/conferences", user=supervisor_b).json()["items"] == []


def test_what_each_role_sees(api: Api, paired_personas: Personas) -> None:
    p = paired_personas
    cid = convene(api, p, reason=REASON).json()["id"]
    conference = CaseConference.objects.get(pk=cid)
    services.conference_hold(
        actor=p.admin, conference=conference, summary="讨论了家庭情况", decisions=DECISIONS
    )
    officer_action = add_action(api, p, cid, p.officer).json()["id"]
    full = api.get(f"/conferences/{cid}", user=p.director_a).json()
    assert full["sight"] == "full" and full["reason"] == REASON
    assert full["summary"] == "讨论了家庭情况"
    team = api.get(f"/conferences/{cid}", user=p.doctor).json()
    assert team["sight"] == "team"
    assert team["reason"] is None and team["summary"] is None
    assert team["decisions"] == DECISIONS
    assert [a["id"] for a in team["actions"]] == [officer_action]
    # A volunteer (paired with the child) sees a conference only through an action they own,
    # and then only their own actions.
    assert api.get(f"/conferences/{cid}", user=p.volunteer).status_code == 404
    own_action = add_action(api, p, cid, p.volunteer, what="周末陪孩子读书").json()["id"]
    own = api.get(f"/conferences/{cid}", user=p.volunteer).json()
    assert own["sight"] == "own"
    assert own["decisions"] is None and own["attendees"] is None and own["reason"] is None
    assert [a["id"] for a in own["actions"]] == [own_action]
    # A volunteer's action may not be marked done by someone else who only sees it.
    assert (
        api.post(
            f"/conference-actions/{own_action}/done", user=p.officer, body={"note": "x"}
        ).status_code
        == 404
    )
    # The read of a conference is a read of the child's record.
    before = AccessLog.objects.filter(child_id=p.child_a.pk).count()
    api.get(f"/conferences/{cid}", user=p.officer)
    assert AccessLog.objects.filter(child_id=p.child_a.pk).count() == before + 1


def test_overdue_actions_reminded_once_a_day_and_listed(
    api: Api, client: Client, personas: Personas
) -> None:
    p = personas
    on_risk_list(p.child_a)
    cid = convene(api, p).json()["id"]
    late = add_action(api, p, cid, p.director_a).json()["id"]
    add_action(api, p, cid, p.director_a)  # not due yet
    past = timezone.localdate() - timedelta(days=2)
    ConferenceAction.objects.filter(pk=late).update(due_on=past)

    today = timezone.localdate()
    assert services.conference_actions_remind_overdue(today) == 1
    assert services.conference_actions_remind_overdue(today) == 0  # once a day
    assert services.conference_actions_remind_overdue(today + timedelta(days=1)) == 1
    notice = Notice.objects.filter(kind="conference_action_overdue").first()
    assert notice is not None and notice.recipient == p.director_a
    assert notice.params == {"action": late, "conference": cid, "due": past.isoformat()}
    client.force_login(p.director_a)
    home = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"An action of case conference #{cid} is past its due date" in home

    for who in ("admin", "supervisor_a"):
        got = api.get("/conference-actions", user=getattr(p, who), query={"overdue": "true"}).json()
        assert [a["id"] for a in got["items"]] == [late], who
        assert got["items"][0]["overdue"] is True
    client.force_login(p.supervisor_a)
    page = client.get(reverse("network:conference-list")).content.decode()
    assert 'id="actions-overdue"' in page
    # Done: no more reminders.
    services.conference_action_done(
        actor=p.director_a, action=ConferenceAction.objects.get(pk=late), note="已完成"
    )
    assert services.conference_actions_remind_overdue(today + timedelta(days=2)) == 0


def test_pages_convene_record_and_mark_done(client: Client, paired_personas: Personas) -> None:
    p = paired_personas
    on_risk_list(p.child_a)
    client.force_login(p.supervisor_a)
    child_page = reverse("registry:child-detail", args=[p.child_a.pk])
    add_url = reverse("network:conference-add", args=[p.child_a.pk])
    assert add_url in client.get(child_page).content.decode()
    assert client.get(add_url, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
    made = client.post(
        add_url,
        {"held_on": timezone.localdate().isoformat(), "place": "镇政府", "format": "video"},
    )
    assert made.status_code == 302
    conference = CaseConference.objects.get()
    detail = reverse("network:conference-detail", args=[conference.pk])
    assert made["Location"] == detail
    assert client.get(detail).status_code == 200

    # Bad input on the page: the errors beside the fields, in Chinese; nothing written.
    bad = client.post(
        reverse("network:conference-step", args=[conference.pk, "action"]),
        {"action-what": "", "action-owner": "", "action-due_on": "明天"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 400
    assert "这个字段是必填项。" in bad.content.decode()
    assert not ConferenceAction.objects.exists()

    step = reverse("network:conference-step", args=[conference.pk, "action"])
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    added = client.post(
        step, {"action-what": "联系学校班主任", "action-owner": p.doctor.pk, "action-due_on": due}
    )
    assert added.status_code == 302
    second = client.post(
        step, {"action-what": "联系卫生院", "action-owner": p.doctor.pk, "action-due_on": due}
    )
    assert second.status_code == 302
    # Each action's "mark done" field has an id of its own.
    ids = re.findall(r'\sid="([^"]+)"', client.get(detail).content.decode())
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    ConferenceAction.objects.order_by("-pk")[0].delete()
    attendee = client.post(
        reverse("network:conference-step", args=[conference.pk, "attendee"]),
        {"attendee-name": "张老师", "attendee-role": "班主任"},
    )
    assert attendee.status_code == 302 and ConferenceAttendee.objects.count() == 1
    held = client.post(
        reverse("network:conference-step", args=[conference.pk, "hold"]),
        {"hold-summary": "", "hold-decisions": DECISIONS},
    )
    assert held.status_code == 302
    edit = reverse("network:conference-edit", args=[conference.pk])
    assert client.get(edit).status_code == 200

    # The doctor owns the action: "my actions", marked done with a note.
    client.force_login(p.doctor)
    mine = client.get(reverse("network:conference-actions-mine")).content.decode()
    assert "联系学校班主任" in mine
    ids = re.findall(r'\sid="([^"]+)"', mine)
    assert len(ids) == len(set(ids))
    action = ConferenceAction.objects.get()
    done = client.post(
        reverse("network:conference-action-done", args=[action.pk]), {"done-note": "已联系"}
    )
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.state == "done" and action.note == "已联系" and action.done_by == p.doctor
    # The doctor sees the conference (decisions, not the discussion) on the child's page.
    page = client.get(child_page).content.decode()
    assert detail in page
    assert DECISIONS in client.get(detail).content.decode()

    client.force_login(p.supervisor_a)
    closed = client.post(reverse("network:conference-step", args=[conference.pk, "close"]))
    assert closed.status_code == 302
    conference.refresh_from_db()
    assert conference.state == "closed"
    assert client.get(reverse("network:conference-list")).status_code == 200


def test_the_navigation_leads_to_conferences_and_actions(
    client: Client, personas: Personas
) -> None:
    for who, conferences in (
        ("admin", True),
        ("supervisor_a", True),
        ("director_a", False),
        ("volunteer", False),
    ):
        client.force_login(getattr(personas, who))
        home = client.get(reverse("web:home")).content.decode()
        assert ('id="nav-conferences"' in home) == conferences, who
        assert 'id="nav-actions"' in home, who
    client.force_login(personas.outsider)
    home = client.get(reverse("web:home")).content.decode()
    assert 'id="nav-actions"' not in home
    assert client.get(reverse("network:conference-actions-mine")).status_code == 403


def test_demo_seed_gives_the_directors_village_conferences(paired_personas: Personas) -> None:
    from care365.seeding.seed.network import demo_conferences

    p = paired_personas
    on_risk_list(p.child_a)
    assert demo_conferences(director=p.director_a, admin=p.admin) == 1  # one child in village A
    conference = CaseConference.objects.get()
    assert conference.child == p.child_a and conference.on_risk_list
    assert conference.state == "held"
    states = sorted(conference.actions.values_list("state", flat=True))
    assert states == ["done", "open", "open"]
    today = timezone.localdate()
    assert conference.actions.filter(state="open", due_on__lt=today).count() == 1
    assert set(conference.actions.values_list("owner", flat=True)) == {
        p.director_a.pk,
        p.officer.pk,
        p.doctor.pk,
    }


def test_conference_lists_make_a_fixed_number_of_queries(
    api: Api, client: Client, paired_personas: Personas
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p = paired_personas
    on_risk_list(p.child_a)

    def counts() -> tuple[int, ...]:
        found = []
        for who, url in (
            ("supervisor_a", reverse("network:conference-list")),
            ("officer", reverse("network:conference-actions-mine")),
        ):
            client.force_login(getattr(p, who))
            with CaptureQueriesContext(connection) as page:
                assert client.get(url).status_code == 200
            found.append(len(page))
        for who, path in (("supervisor_a", "/conferences"), ("officer", "/conference-actions")):
            with CaptureQueriesContext(connection) as listed:
                assert api.get(path, user=getattr(p, who)).status_code == 200
            found.append(len(listed))
        return tuple(found)

    def one() -> None:
        cid = convene(api, p).json()["id"]
        conference = CaseConference.objects.get(pk=cid)
        services.conference_attendee_add(actor=p.admin, conference=conference, name="王校长")
        add_action(api, p, cid, p.officer)

    one()
    counts()  # the first calls make the tokens and mark them used: outside the counts
    few = counts()
    for _ in range(6):
        one()
    ConferenceAction.objects.update(due_on=timezone.localdate() - timedelta(days=1))
    assert counts() == few


def test_a_conference_its_attendees_and_actions_are_changed_until_closed(
    api: Api, client: Client, paired_personas: Personas
) -> None:
    p = paired_personas
    on_risk_list(p.child_a)
    cid = convene(api, p).json()["id"]
    base = f"/conferences/{cid}"
    changed = api.patch(base, user=p.admin, body={"place": "镇政府会议室"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["place"] == "镇政府会议室" and changed.json()["format"] == "in_person"
    bad = api.patch(base, user=p.admin, body={"format": "letter"}, language="zh-hans")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"format"}
    # Only the conveners change it: the paired officer sees it (403), another county's
    # administrator does not (404).
    assert api.patch(base, user=p.officer, body={"place": "x"}).status_code == 403
    assert api.patch(base, user=p.other_admin, body={"place": "x"}).status_code == 404

    wrong = api.post(f"{base}/attendees", user=p.admin, body={"name": "李老师"}).json()["id"]
    right = api.post(f"{base}/attendees", user=p.admin, body={"name": "王校长"}).json()["id"]
    assert api.delete(f"{base}/attendees/{wrong}", user=p.officer).status_code == 403
    assert api.delete(f"{base}/attendees/{wrong}", user=p.admin).status_code == 204
    assert api.delete(f"{base}/attendees/{wrong}", user=p.admin).status_code == 404
    other = convene(api, p).json()["id"]
    assert api.delete(f"/conferences/{other}/attendees/{right}", user=p.admin).status_code == 404
    got = api.get(base, user=p.admin).json()
    assert [a["name"] for a in got["attendees"]] == ["王校长"]

    aid = add_action(api, p, cid, p.officer).json()["id"]
    path = f"/conference-actions/{aid}"
    moved = api.patch(path, user=p.supervisor_a, body={"owner": p.director_a.pk})
    assert moved.status_code == 200, moved.content
    assert moved.json()["owner"] == p.director_a.pk
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    refused = api.patch(path, user=p.admin, body={"due_on": past})
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"due_on"}
    stranger = UserFactory.create(role="director", area=p.other_village)
    assert api.patch(path, user=p.admin, body={"owner": stranger.pk}).status_code == 422
    # The owner marks it done but does not change it (403).
    assert api.patch(path, user=p.director_a, body={"what": "x"}).status_code == 403
    action = ConferenceAction.objects.get(pk=aid)
    assert (action.owner, action.what) == (p.director_a, "每周家访一次，看孩子是否按时回家")

    # The page: the convener changes the action and takes an attendee off.
    client.force_login(p.admin)
    edit = reverse("network:conference-action-edit", args=[aid])
    assert client.get(edit, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    empty = client.post(
        edit, {"action-what": "", "action-owner": p.doctor.pk, "action-due_on": due}
    )
    assert empty.status_code == 400
    saved = client.post(
        edit, {"action-what": "联系卫生院体检", "action-owner": p.doctor.pk, "action-due_on": due}
    )
    assert saved.status_code == 302
    action.refresh_from_db()
    assert (action.what, action.owner, action.due_on.isoformat()) == (
        "联系卫生院体检",
        p.doctor,
        due,
    )
    page = client.get(reverse("network:conference-detail", args=[cid])).content.decode()
    assert reverse("network:conference-attendee-remove", args=[cid, right]) in page
    assert edit in page
    taken = client.post(reverse("network:conference-attendee-remove", args=[cid, right]))
    assert taken.status_code == 302 and not ConferenceAttendee.objects.filter(pk=right).exists()

    # Done, then closed: nothing changes any more (409).
    api.post(f"{path}/done", user=p.doctor, body={"note": "已体检"})
    assert api.patch(path, user=p.admin, body={"what": "x"}).status_code == 409
    kept = api.post(f"{base}/attendees", user=p.admin, body={"name": "张书记"}).json()["id"]
    api.post(f"{base}/hold", user=p.admin, body={"decisions": DECISIONS})
    assert api.post(f"{base}/close", user=p.admin).status_code == 200
    assert api.delete(f"{base}/attendees/{kept}", user=p.admin).status_code == 409
    assert api.patch(base, user=p.admin, body={"place": "x"}).status_code == 409
    audited = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"conference_update", "conference_attendee_remove", "conference_action_update"} <= (
        audited
    )


def test_the_conference_list_pages_through_every_conference_of_the_area(
    api: Api, client: Client, personas: Personas, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    on_risk_list(personas.child_a)
    made = [convene(api, personas).json()["id"] for _ in range(3)]
    client.force_login(personas.supervisor_a)

    def ids(number: int) -> list[int]:
        page = client.get(reverse("network:conference-list") + f"?page={number}").content.decode()
        table = page[page.index('id="conferences"') :]
        return [int(n) for n in re.findall(r'conferences/(\d+)/"', table)]

    assert sorted(ids(1) + ids(2)) == sorted(made) and len(ids(1)) == 2
    # Another township's conferences are not on its supervisor's list.
    other = UserFactory.create(role="supervisor", area=personas.township_b)
    client.force_login(other)
    assert ids(1) == []


def test_the_overdue_actions_show_ten_above_the_list_and_every_one_a_page_at_a_time(
    api: Api, client: Client, personas: Personas, settings: Any
) -> None:
    settings.PAGE_SIZE = 4
    on_risk_list(personas.child_a)
    cid = convene(api, personas).json()["id"]
    late = timezone.localdate() - timedelta(days=3)
    made = [
        ConferenceAction.objects.create(
            conference_id=cid,
            what="家访",
            owner=personas.director_a,
            due_on=late,
            created_at=timezone.now(),
            created_by=personas.admin,
        ).pk
        for _ in range(11)
    ]
    client.force_login(personas.admin)
    page = client.get(reverse("network:conference-list"), HTTP_ACCEPT_LANGUAGE="en")
    card = page.content.decode()
    card = card[card.index('id="actions-overdue"') : card.index('id="conferences"')]
    assert card.count(f"conferences/{cid}/") == 10 and "All 11 overdue actions" in card
    seen = 0
    for number in (1, 2, 3):
        body = client.get(
            reverse("network:conference-list") + f"?overdue=1&page={number}"
        ).content.decode()
        assert 'id="conferences"' not in body
        seen += body.count(f"conferences/{cid}/")
    assert seen == len(made)
