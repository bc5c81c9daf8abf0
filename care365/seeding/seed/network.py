"""The rest of a seeded county's network (docs/network.md): the county-wide bodies children are
referred to and a central school per township, each with the services it offers; and, for the
demo, a few referrals of the demo director's village children in every state, two case
conferences (联席会议) of the village's high-risk children, and the teacher's school roll with
absences and a drop-out, so that the referral, conference and schools pages have something to
show.

Organisations are synthetic like the rest of the county; the referrals go through the network's
services as the director and the administrator would make them (audited, encrypted at rest)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.carers.models import Organisation, ServiceKind
from care365.network.services import (
    conference_action_add,
    conference_action_done,
    conference_attendee_add,
    conference_create,
    conference_hold,
    referral_accept,
    referral_create,
    referral_decline,
    referral_done,
)
from care365.network.services.schools import absences_record, drop_out_record, enrolment_create

Kind = Organisation.Kind
S = ServiceKind

# (kind, name after the county's, services offered, contact person)
COUNTY_BODIES: tuple[tuple[str, str, list[str], str], ...] = (
    (Kind.EDUCATION_BUREAU, "教育局", [S.SCHOOL_REENTRY, S.COUNSELLING], "李老师"),
    (Kind.CIVIL_AFFAIRS, "民政局儿童福利科", [S.FINANCIAL_AID, S.OTHER], "王科长"),
    (Kind.WOMENS_FEDERATION, "妇女联合会", [S.COUNSELLING, S.LEGAL_AID], "陈主任"),
    (Kind.YOUTH_LEAGUE, "团县委", [S.OTHER], "张书记"),
    (Kind.COURT, "人民法院少年法庭", [S.LEGAL_AID], "刘法官"),
    (Kind.PROCURATORATE, "人民检察院未成年人检察科", [S.LEGAL_AID], "周检察官"),
    (Kind.SOCIAL_WORK, "社会工作服务中心", [S.COUNSELLING, S.SPECIALIST_CARE], "吴社工"),
    (Kind.CHARITY, "慈善总会", [S.FINANCIAL_AID], "郑会长"),
    (Kind.COMPANY, "畲乡农业发展有限公司", [S.FINANCIAL_AID], "何经理"),
)
SCHOOL_SERVICES = [S.SCHOOL_REENTRY, S.COUNSELLING]
# The demo director's phone, given with their referrals so the organisation can reach them.
DIRECTOR_PHONE = "13905786601"


def _phone(n: int) -> str:
    return f"0578-58{n:05d}"


def network_organisations_write(county: Area, townships: list[Area]) -> int:
    """The county's bodies and a central school per township; returns how many."""
    short = county.name.removesuffix("畲族自治县").removesuffix("县") or county.name
    rows = [
        Organisation(
            kind=kind,
            name=f"{short}{name}",
            area=county,
            phone=_phone(i),
            contact_name=contact,
            contact_phone=_phone(100 + i),
            services=[str(s) for s in services],
        )
        for i, (kind, name, services, contact) in enumerate(COUNTY_BODIES)
    ]
    rows += [
        Organisation(
            kind=Kind.SCHOOL,
            name=f"{town.name}中心小学",
            area=town,
            phone=_phone(200 + i),
            contact_name="教导主任",
            contact_phone=_phone(300 + i),
            services=[str(s) for s in SCHOOL_SERVICES],
        )
        for i, town in enumerate(townships)
    ]
    Organisation.objects.bulk_create(rows)
    return len(rows)


def demo_referrals(*, director: User, admin: User) -> int:
    """Referrals of the director's village children: done, declined, accepted, one overdue and
    one just sent; the social-work agency has one in each state but declined, answered by its
    own staff's login where it has one (the demo's "agency"), the others by the administrator on
    the organisation's behalf. Returns how many (none when the county has no bodies yet)."""
    children = list(children_for_user(director).filter(exited_on__isnull=True).order_by("pk")[:7])
    bodies = {o.kind: o for o in Organisation.objects.filter(area=admin.area)}
    plan = (
        (
            Kind.SOCIAL_WORK,
            S.COUNSELLING,
            "孩子近来沉默寡言，筛查分数偏高，请社工跟进。",
            40,
            "done",
        ),
        (Kind.CHARITY, S.FINANCIAL_AID, "母亲生病，家庭收入骤减，申请临时救助。", 30, "declined"),
        (Kind.EDUCATION_BUREAU, S.SCHOOL_REENTRY, "初二后未返校，请协助劝返复学。", 10, "accepted"),
        (
            Kind.WOMENS_FEDERATION,
            S.LEGAL_AID,
            "委托监护人不履行监护职责，需要法律援助。",
            20,
            "sent",
        ),
        (Kind.SOCIAL_WORK, S.SPECIALIST_CARE, "需要心理专科评估。", 1, "sent"),
        (Kind.SOCIAL_WORK, S.COUNSELLING, "父母离异后拒绝上学，请社工介入。", 8, "accepted"),
        (Kind.SOCIAL_WORK, S.COUNSELLING, "与祖父母冲突频繁，夜不归宿。", 20, "sent"),
    )
    made = 0
    now = timezone.now()
    for child, (kind, service, reason, days_ago, state) in zip(children, plan, strict=False):
        organisation = bodies.get(kind)
        if organisation is None:
            continue
        at = now - timedelta(days=days_ago)
        referral = referral_create(
            actor=director,
            child=child,
            organisation_id=organisation.pk,
            service=service,
            reason=reason,
            referrer_phone=DIRECTOR_PHONE,
            now=at,
        )
        staff = (
            User.objects.filter(role=Role.ORG_STAFF, organisation=organisation, is_active=True)
            .order_by("pk")
            .first()
        )
        answerer = staff or admin
        answered = at + timedelta(days=2)
        if state == "accepted":
            referral_accept(actor=answerer, referral=referral, now=answered)
        elif state == "declined":
            referral_decline(
                actor=answerer,
                referral=referral,
                reason="不符合本年度救助条件，已转民政。",
                now=answered,
            )
        elif state == "done":
            referral_accept(actor=answerer, referral=referral, now=answered)
            referral_done(
                actor=answerer,
                referral=referral,
                what_done="社工入户三次，开展个案辅导。",
                outcome="情绪明显好转，已结案并转入定期随访。",
                now=answered + timedelta(days=14),
            )
        made += 1
    return made


def _paired_user(child_id: int, role: str) -> User | None:
    """The login of the child's carer of `role` paired today, if the carer has one."""
    return (
        User.objects.filter(
            role=role,
            is_active=True,
            carer__pairings__child_id=child_id,
            carer__pairings__until__isnull=True,
        )
        .order_by("pk")
        .first()
    )


def demo_conferences(*, director: User, admin: User) -> int:
    """Case conferences of the director's village children, high-risk ones first (on the risk
    list; otherwise the conference gives its reason): one held three weeks ago with an action
    done, one overdue and one open, and one planned for next week. Returns how many."""
    village = children_for_user(director).filter(exited_on__isnull=True)
    children = list(village.filter(risk__on_list=True).order_by("-risk__score", "pk")[:2])
    if len(children) < 2:
        children += list(village.exclude(pk__in=[c.pk for c in children]).order_by("pk")[:2])
    children = children[:2]
    bodies = {o.kind: o for o in Organisation.objects.filter(area=admin.area)}
    today = timezone.localdate()
    now = timezone.now()
    made = 0
    for n, child in enumerate(children):
        past = n == 0
        at = now - timedelta(days=21 if past else 1)
        conference = conference_create(
            actor=admin,
            child=child,
            held_on=today - timedelta(days=20) if past else today + timedelta(days=7),
            place="县民政局三楼会议室" if past else "",
            format="in_person" if past else "video",
            reason="" if past else "祖母住院，孩子独自在家，监护缺失，需要多部门商定照护安排。",
            now=at,
        )
        made += 1
        officer = _paired_user(child.pk, "police")
        doctor = _paired_user(child.pk, "doctor")
        conference_attendee_add(actor=admin, conference=conference, user_id=director.pk)
        if officer is not None:
            conference_attendee_add(actor=admin, conference=conference, user_id=officer.pk)
        school = bodies.get(Kind.EDUCATION_BUREAU)
        conference_attendee_add(
            actor=admin,
            conference=conference,
            name="王校长",
            role="班主任所在学校",
            organisation_id=school.pk if school else None,
        )
        if not past:
            continue
        conference_hold(
            actor=admin,
            conference=conference,
            summary="父母在外务工，祖父年迈；孩子近两月多次夜不归宿，筛查分数偏高。",
            decisions="派出所每周家访；卫生院安排心理评估；儿童主任每周与父母视频联系。",
        )
        plan = [
            (director, "每周与孩子父母视频联系一次，记录情况。", 14, True),
            (doctor or director, "安排心理评估并反馈结果。", 10, False),
            (officer or director, "每周家访一次，确认孩子按时回家。", 30, False),
        ]
        for owner, what, due_in, done in plan:
            action = conference_action_add(
                actor=admin,
                conference=conference,
                what=what,
                owner_id=owner.pk,
                due_on=(at + timedelta(days=due_in)).date(),
                now=at,
            )
            if done:
                conference_action_done(
                    actor=owner,
                    action=action,
                    note="已联系三次，父母答应春节回家。",
                    now=at + timedelta(days=7),
                )
    return made


# Grades by age on 1 September (whole years): 6 -> primary 1 ... 14 -> junior middle 3.
GRADE_BY_AGE = {6: "p1", 7: "p2", 8: "p3", 9: "p4", 10: "p5", 11: "p6", 12: "j1", 13: "j2"}


def demo_schools(*, director: User, teacher: User | None) -> int:
    """The teacher's school roll: the director's village children of primary-school age (6 to
    13) enrolled at the teacher's school (by the director, since the start of term), a few
    absences of the last weeks recorded by the teacher (one child with three unexplained ones,
    which opens the director's follow-up task), and one drop-out referred to the education
    bureau. Returns how many children are enrolled (none without a teacher)."""
    school = teacher.organisation if teacher is not None else None
    if teacher is None or school is None:
        return 0
    today = timezone.localdate()
    term = today.replace(month=9, day=1)
    if term > today:
        term = term.replace(year=term.year - 1)
    children = [
        c
        for c in children_for_user(director).filter(exited_on__isnull=True).order_by("pk")
        if c.age_on(term) in GRADE_BY_AGE
    ][:40]
    for n, child in enumerate(children):
        enrolment_create(
            actor=director,
            child=child,
            school_id=school.pk,
            grade=GRADE_BY_AGE[child.age_on(term)],
            class_name=f"({n % 2 + 1})班",
            since=term,
        )
    if len(children) >= 2:
        # The last child dropped out a few days ago (never before the start of term).
        drop_out_record(
            actor=teacher,
            child=children[-1],
            left_on=max(term, today - timedelta(days=3)),
            note="随父母去外地，未办理转学手续。",
        )
    days = (today - timedelta(days=n) for n in range(1, 20))
    schooldays = [d for d in days if d.weekday() < 5 and d >= term]
    if len(children) < 4 or len(schooldays) < 6:
        return len(children)
    absences_record(
        actor=teacher,
        child=children[0],
        days=schooldays[:3],
        reason="unexplained",
        note="家长电话联系不上",
    )
    absences_record(
        actor=teacher, child=children[1], days=schooldays[2:4], reason="illness", note="发烧"
    )
    absences_record(actor=teacher, child=children[2], days=schooldays[5:6], reason="family")
    return len(children)
