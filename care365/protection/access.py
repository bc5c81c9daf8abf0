"""The doors to alerts and who may do what with them (DESIGN.md, "Who sees what").

Who sees an alert:
- county administrators, township supervisors, village directors and police officers: the alerts
  of the children in their scope (`children_for_user`); county administrators also the alerts in
  their county that have no child (an SMS from an unknown number, for the duty desk), and
  supervisors and directors those without a child about a village of theirs (a public mandatory
  report of a child the registry does not know yet);
- anyone an alert was sent to (the station's duty officer, the desk): that alert;
- anyone who raised an alert: that alert and its status. Doctors and volunteers see no other
  alerts: their role does not include the child's safety record.
`alert_get_for_user` is the one door to a single alert; `may_raise_alert`, `can_respond` and
`can_answer` are the rules that pages, the API and the services all ask.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from care365.accounts.access import (
    access_log_write,
    child_visible,
    children_for_user,
    county_for_admin,
    scope_village_ids,
)
from care365.accounts.models import AccessPurpose, Role, User
from care365.areas.models import Area
from care365.core.errors import NotFound
from care365.protection.models import (
    Alert,
    AlertEvent,
    Notification,
    State,
    WebhookEndpoint,
)
from care365.registry.models import Child

# An alert not yet resolved (the board's, the navigation's count, the child's page): its
# `resolved_at` is null exactly then (a constraint holds it), which the partial index
# `alert_open_idx` reads, so the few open alerts are found without reading the resolved ones.
OPEN = Q(resolved_at__isnull=True)

# Roles whose job includes a child's safety record.
ALERT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR, Role.POLICE})

# Roles that may acknowledge and resolve an alert of a child in their scope.
RESPONDER_ROLES = ALERT_ROLES

# Roles that may raise an alert for a child they see: everyone in the network around the child.
RAISE_ROLES = frozenset(
    {Role.COUNTY_ADMIN, Role.SUPERVISOR, Role.DIRECTOR, Role.POLICE, Role.DOCTOR, Role.VOLUNTEER}
)


def may_raise_alert(user: User, child: Child | None = None) -> bool:
    """Whether the user may raise an alert (for `child`, already read through the access
    layer): pages and the API ask this one rule."""
    return isinstance(user, User) and user.role in RAISE_ROLES


# What a raising service wrote about an alert (`Alert.written`): its steps and notifications.
Written = tuple[list[AlertEvent], list[Notification]]


def active_account(user: User) -> User | None:
    """The user as an active account with a role, or None (anonymous, disabled, no role)."""
    if not isinstance(user, User) or not user.is_active or not user.role:
        return None
    return user


def _county_admin_of(user: User, county_id: int) -> bool:
    return user.role == Role.COUNTY_ADMIN and user.area_id == county_id


def alerts_for_user(user: User) -> QuerySet[Alert]:
    """Every alert (open and resolved) the user may see; none by default.

    Each condition is asked of each alert (correlated EXISTS, by primary key and index), never
    by listing the user's children or notifications first: a county administrator's scope is
    the whole county, and the open alerts (`OPEN`, indexed) are a handful."""
    account = active_account(user)
    if account is None:
        return Alert.objects.none()
    visible = Q(raised_by=account) | Q(
        Exists(Notification.objects.filter(alert_id=OuterRef("pk"), recipient=account))
    )
    if account.role in ALERT_ROLES:
        visible |= Q(Exists(children_for_user(account).filter(pk=OuterRef("child_id"))))
    if account.role == Role.COUNTY_ADMIN and account.area_id is not None:
        visible |= Q(county_id=account.area_id, child__isnull=True)
    elif account.role in (Role.SUPERVISOR, Role.DIRECTOR):
        # A public report of a child the registry does not know yet: the village's own people.
        villages = scope_village_ids(account)
        if villages:
            visible |= Q(child__isnull=True, village_id__in=villages)
    return Alert.objects.filter(visible)


def alert_get_for_user(
    user: User,
    alert_id: int | str,
    purpose: AccessPurpose | str = AccessPurpose.VIEW,
    *,
    route: str = "",
) -> Alert:
    """One alert the user may see; NotFound (404) if missing or out of scope. Reading an
    alert is reading its child's record, so it is written to the access log."""
    try:
        pk = int(alert_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    account = active_account(user)
    if account is None:
        raise NotFound
    alert = (
        alerts_for_user(account)
        .select_related(
            "child",
            "child__village",
            "child__village__parent",
            "village",
            "village__parent",
            "assigned_officer",
            "assigned_officer__organisation",
            "raised_by",
            "raised_by__carer",
            "raised_by__area",
        )
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise NotFound
    if alert.child_id is not None:
        access_log_write(
            account,
            alert.child_id,
            purpose,
            route=route or f"alert {alert.pk}",
        )
    return alert


def can_respond(user: User, alert: Alert, *, written: Written | None = None) -> bool:
    """Whether the user may acknowledge, say "on my way" / "with the child", and resolve: anyone
    the alert was sent to, the county's administrators, and the officers, supervisors and
    directors whose scope holds the child. `written`: as in `alert_timeline`."""
    account = active_account(user)
    if account is None:
        return False
    if _county_admin_of(account, alert.county_id):
        return True
    if written is not None:
        if any(n.recipient_id == account.pk for n in written[1]):
            return True
    elif Notification.objects.filter(alert=alert, recipient=account).exists():
        return True
    if account.role not in RESPONDER_ROLES or alert.child_id is None:
        return False
    if Alert.child.is_cached(alert) and alert.child is not None:
        return child_visible(account, alert.child)  # loaded with the alert: no query
    return children_for_user(account).filter(pk=alert.child_id).exists()


def can_answer(user: User, alert: Alert, *, written: Written | None = None) -> bool:
    """Whether the user may answer the alert now (acknowledge, on my way, with the child,
    resolve): a responder (`can_respond`) who did not raise it, or its raiser once someone
    else has acknowledged it. Answering belongs to the responders: a raiser acknowledging their
    own alert would stop its escalation before anyone else heard of it."""
    if not can_respond(user, alert, written=written):
        return False
    return not (alert.raised_by_id == user.pk and alert.state == State.OPEN)


def sees_alert_board(user: User) -> bool:
    """The live board of open alerts: the roles whose job includes a child's safety record."""
    account = active_account(user)
    return account is not None and account.role in ALERT_ROLES


def policy_county(user: User) -> Area | None:
    """The county whose escalation policy the user sets: a county administrator's own county;
    None for everyone else."""
    account = active_account(user)
    if account is None or account.role != Role.COUNTY_ADMIN or account.area is None:
        return None
    return account.area if account.area.level == Area.Level.COUNTY else None


# Organisations' webhook endpoints and their deliveries (docs/network.md, "Webhooks"): the
# administrators of the organisation's county keep them; nobody else sees them.


def webhook_endpoints_for_admin(user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the organisations of the county the user administers; none otherwise."""
    county = county_for_admin(user)
    if county is None:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(organisation__area__code__startswith=county.code)


def webhook_endpoint_get_for_admin(user: User, endpoint_id: int | str) -> WebhookEndpoint:
    """One endpoint of an organisation of the user's county; NotFound (404) if missing or not
    the user's to keep."""
    try:
        pk = int(endpoint_id)
    except (TypeError, ValueError) as exc:
        raise NotFound from exc
    if not 0 < pk < 2**63:
        raise NotFound
    endpoint = (
        webhook_endpoints_for_admin(user)
        .select_related("organisation", "organisation__area")
        .filter(pk=pk)
        .first()
    )
    if endpoint is None:
        raise NotFound
    return endpoint


def webhook_deliveries_for_admin(user: User) -> QuerySet[Notification]:
    """The webhook deliveries to the endpoints of the user's county; none otherwise."""
    county = county_for_admin(user)
    if county is None:
        return Notification.objects.none()
    return Notification.objects.filter(
        webhook__isnull=False, webhook__organisation__area__code__startswith=county.code
    )
