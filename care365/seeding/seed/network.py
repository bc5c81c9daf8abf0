"""The rest of a seeded county's network (docs/network.md): the county-wide bodies children are
referred to and a central school per township, each with the services it offers; and, for the
demo, a few referrals of the demo director's village children in every state, so that the
referral pages have something to show.

Organisations are synthetic like the rest of the county; the referrals go through the network's
services as the director and the administrator would make them (audited, encrypted at rest)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import User
from care365.areas.models import Area
from care365.carers.models import Organisation, ServiceKind
from care365.network.services import (
    referral_accept,
    referral_create,
    referral_decline,
    referral_done,
)

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
    one just sent. Returns how many (none when the county has no bodies yet)."""
    children = list(children_for_user(director).filter(exited_on__isnull=True).order_by("pk")[:5])
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
            now=at,
        )
        answered = at + timedelta(days=2)
        if state == "accepted":
            referral_accept(actor=admin, referral=referral, now=answered)
        elif state == "declined":
            referral_decline(
                actor=admin,
                referral=referral,
                reason="不符合本年度救助条件，已转民政。",
                now=answered,
            )
        elif state == "done":
            referral_accept(actor=admin, referral=referral, now=answered)
            referral_done(
                actor=admin,
                referral=referral,
                what_done="社工入户三次，开展个案辅导。",
                outcome="情绪明显好转，已结案并转入定期随访。",
                now=answered + timedelta(days=14),
            )
        made += 1
    return made
