"""For the demo: a Children's Day whose gifts came from the county's donating company, planned
for every child of the demo director's village, most delivered and confirmed with the children,
one not delivered; so that the gift pages, the volunteer's list and the donor's totals have
something to show. Everything goes through daily care's services, as the administrator, the
director and the children's volunteers would do it (audited)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from care365.accounts.access import children_for_user, county_for_admin
from care365.accounts.models import Role, User
from care365.care.access import is_paired
from care365.care.models import CareEvent
from care365.care.services import (
    care_event_record,
    gift_confirm,
    gift_deliver,
    gift_not_delivered,
    gift_plan,
)
from care365.carers.models import Organisation

DONOR_EMAIL = "gongyi@shexiang-agri.example.cn"
CONFIRM_NOTES = ("孩子很喜欢新书包。", "孩子说谢谢叔叔阿姨。", "已当面交给孩子和奶奶。")


def _last_childrens_day(today: date) -> date:
    june = date(today.year, 6, 1)
    return june if june <= today else date(today.year - 1, 6, 1)


def demo_gifts(*, director: User, admin: User) -> int:
    """The Children's Day gifts of the director's village from the county's donating company
    (given a contact email for its thanks). Returns how many gifts; none when the county has
    no donating company or the director no children, or when they were written already."""
    county = county_for_admin(admin)
    if county is None:
        return 0
    donor = (
        Organisation.objects.filter(kind=Organisation.Kind.COMPANY, area=county)
        .order_by("pk")
        .first()
    )
    children = list(children_for_user(director).filter(exited_on__isnull=True).order_by("pk")[:40])
    if donor is None or not children:
        return 0
    if not donor.contact_email:
        donor.contact_email = DONOR_EMAIL
        donor.save(update_fields=["contact_email"])
    today = timezone.localdate()
    day = _last_childrens_day(today)
    title = f"{county.name}六一儿童节爱心礼物"
    if CareEvent.objects.filter(title=title, held_on=day).exists():
        return 0
    event = care_event_record(
        actor=admin,
        kind=CareEvent.Kind.CHILDRENS_DAY,
        title=title,
        held_on=day,
        area=county,
        place="各村儿童之家",
        given="书包和文具套装",
        today=today,
    )
    planned_at = timezone.make_aware(datetime.combine(day - timedelta(days=20), time(10)))
    gifts = gift_plan(
        actor=admin,
        event=event,
        children=children,
        what="书包和文具套装",
        value_yuan=150,
        donor=donor,
        now=planned_at,
    ).planned
    volunteers = list(User.objects.filter(role=Role.VOLUNTEER, is_active=True, carer__isnull=False))
    handed = timezone.make_aware(datetime.combine(day, time(15)))
    for n, gift in enumerate(gifts):
        if n == len(gifts) - 1 and n >= 3:
            gift_not_delivered(
                actor=director, gift=gift, reason="孩子暑假随父母去了外地，礼物暂存村委会。"
            )
            continue
        if n % 5 == 4:
            continue  # still to deliver: the volunteer's and the director's list shows it
        carer = next((v for v in volunteers if is_paired(v, gift.child)), None)
        gift_deliver(actor=carer or director, gift=gift, now=handed)
        if n % 3 != 2:
            gift_confirm(
                actor=carer or director,
                gift=gift,
                note=CONFIRM_NOTES[n % len(CONFIRM_NOTES)],
                now=handed + timedelta(days=1),
            )
    return len(gifts)
