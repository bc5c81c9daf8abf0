"""Input and output schemas of instant protection's API: alerts, the escalation policy, the SMS
gateway's webhook and the health check.

Inputs use the models' own choices (kind, resolution, who, channel) so the OpenAPI schema lists
the allowed values; the services still validate everything (a policy's steps, a resolved alert).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from care365.core.schemas import LAX, MAX_ID, Body, CarerBrief, Id, Page, Text, UserBrief
from care365.protection.models import Channel, Kind, Resolution, Who
from care365.protection.policy import MAX_STEPS, MAX_WAIT_SECONDS, MIN_WAIT_SECONDS
from care365.protection.services.alerts import NOTE_MAX

Seconds = Annotated[int, Field(ge=MIN_WAIT_SECONDS, le=MAX_WAIT_SECONDS)]
Note = Annotated[Text, Field(max_length=NOTE_MAX)]


# ---- alerts: input ---------------------------------------------------------------------------


class AlertIn(Body):
    child: Id = Field(description="The child's id in Care365 (a child you may see).")
    kind: Annotated[Kind, LAX] = Field(
        description="suspected_abuse, abandonment, alone_under_16 and self_harm are mandatory "
        "reports (强制报告): follow-up tasks open and the reporter is shown to county "
        "administrators only."
    )
    note: Note = Field("", description="What is happening, for the responders.")


class AlertNoteIn(Body):
    note: Note = Field("", description="A note for the incident record.")


class AlertResolveIn(Body):
    resolution: Annotated[Resolution, LAX]
    note: Note = Field("", description="How it ended, for the incident record.")


class AlertQuery(Page):
    area: Id | None = Field(
        None, description="Only alerts of children of this county, township or village."
    )


# ---- alerts: output --------------------------------------------------------------------------


class AlertAreaOut(Schema):
    id: int
    name: str


class AlertRowOut(Schema):
    id: int
    child: int | None = Field(description="The child's id; null for an SMS from an unknown number.")
    child_name: str | None = Field(
        description="The child's name as your role sees it (a volunteer: the given name only); "
        "null when your role sees no name, or for an SMS from an unknown number."
    )
    kind: str
    source: str = Field(description="web, api, help_link or sms")
    state: str = Field(description="open, acknowledged, on_the_way, with_child or resolved")
    level: int = Field(description="The escalation step that fired last (0: the first).")
    village: AlertAreaOut | None
    township: AlertAreaOut | None
    raised_at: datetime
    next_step_at: datetime | None = Field(description="When the next step fires, while open.")
    acknowledged_at: datetime | None
    sender: str = Field(description="An unknown SMS sender's number, masked; otherwise empty.")
    requests: int = Field(
        description="How many times help was asked: the request that raised the alert and every "
        "repeat folded into it (presses of the help button, messages)."
    )
    assigned_officer: CarerBrief | None = Field(description="The child's officer when raised.")
    answered_by: str | None = Field(
        description="Who has it: the person who answered it last (acknowledged, on the way, with "
        "the child), by name; null while nobody has answered."
    )


class AlertListOut(Schema):
    items: list[AlertRowOut]
    count: int


class AlertEventOut(Schema):
    at: datetime
    kind: str = Field(
        description="raised, repeated, escalated, no_recipient, acknowledged, on_the_way, "
        "with_child, resolved, notification_sent, notification_failed or follow_up_opened"
    )
    level: int | None
    due_at: datetime | None = Field(description="For an escalation: when it was due.")
    actor: UserBrief | None = Field(
        description="Who did it; null for the system, and for the reporter of a mandatory "
        "report unless you are a county administrator (or the reporter)."
    )
    data: dict[str, Any]


class AlertNotificationOut(Schema):
    id: int
    level: int
    channel: str = Field(description="in_app, sms or email")
    recipient: UserBrief | None
    address: str = Field(description="The phone or email, masked.")
    state: str = Field(description="pending, sending, sent or failed")
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str


class SafetyContactOut(Schema):
    role: str
    name: str
    phone: str


class SafetyCardOut(Schema):
    """What a responder needs to reach the child."""

    child: int | None
    name: str
    age: int | None
    village: str
    township: str
    address: str
    guardian: SafetyContactOut | None = Field(description="The entrusted carer.")
    parents: list[SafetyContactOut]
    team: list[SafetyContactOut] = Field(description="The child's officer, doctor and volunteer.")
    sender_phone: str = Field(
        description="For an SMS from an unknown number: whom to call back (for the county's "
        '"many unknown senders" alert, every number folded into it, one a line).'
    )


class AlertOut(AlertRowOut):
    note: str
    mandatory_report: bool
    raised_by: UserBrief | None = Field(
        description="Null when raised from outside (help link, SMS), and for a mandatory report "
        "unless you are a county administrator (or the reporter)."
    )
    on_the_way_at: datetime | None
    with_child_at: datetime | None
    resolved_at: datetime | None
    resolution: str = Field(description="safe, referred, police_case or false_alarm; or empty")
    resolution_note: str
    told: str | None = Field(
        None,
        description="On a raise only: who is being told now, in your language (the paired "
        "officer; the officers of the station covering the village; the county desk), or that "
        "the raise was folded into the child's open alert of the same kind.",
    )
    can_respond: bool = Field(
        description="Whether you may answer it now (acknowledge, on my way, with the child, "
        "resolve): its responders; its raiser only once someone else has acknowledged it."
    )
    safety_card: SafetyCardOut | None = Field(description="For those who may respond only.")
    events: list[AlertEventOut] = Field(description="Every step with its time, oldest first.")
    notifications: list[AlertNotificationOut]


# ---- escalation policy -----------------------------------------------------------------------


class PolicyStepIn(Body):
    who: Annotated[Who, LAX]
    wait_seconds: Seconds = Field(
        description="How long this step waits for an answer before the next one fires."
    )
    channels: list[Annotated[Channel, LAX]] = Field(min_length=1, max_length=len(Channel))


class EscalationPolicyIn(Body):
    steps: list[PolicyStepIn] = Field(min_length=1, max_length=MAX_STEPS)
    repeat_seconds: Seconds = Field(description="The wait between repeats of the last step.")
    desk_phone: Text = Field("", max_length=20, description="The county duty desk's phone (SMS).")
    desk_email: Text = Field("", max_length=254, description="The county duty desk's email.")
    sms_number: Text = Field(
        "",
        max_length=20,
        description="The county's SMS help number: a message to it from an unknown number goes "
        "to this county's duty desk.",
    )
    desk_users: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=100,
        description="Ids of the duty desk's staff; the county's administrators when empty.",
    )


class PolicyStepOut(Schema):
    who: str
    wait_seconds: int
    channels: list[str]


class EscalationPolicyOut(Schema):
    county: AlertAreaOut
    steps: list[PolicyStepOut]
    repeat_seconds: int
    desk_phone: str
    desk_email: str
    sms_number: str
    desk_users: list[UserBrief]
    saved: bool = Field(description="False while the county runs on the default policy.")
    updated_at: datetime | None


# ---- the SMS gateway's webhook ---------------------------------------------------------------


class SmsIn(Body):
    sender: Text = Field(
        alias="from",
        min_length=1,
        max_length=32,
        description="The sender's number, as the gateway gives it (+86 and spaces allowed).",
    )
    text: Text = Field("", max_length=2000, description="The message.")
    id: Text = Field("", max_length=100, description="The gateway's id of the message.")
    to: Text = Field(
        "",
        max_length=32,
        description="The number the message was sent to: a county's SMS help number (set on its "
        "escalation policy). Needed when the installation runs more than one county.",
    )


class SmsOut(Schema):
    received: str = Field(description="The message's id, as sent.")
    alerts: int = Field(description="Alerts raised (or raised again) by the message.")


# ---- health ----------------------------------------------------------------------------------


class HealthCheckOut(Schema):
    database: str = Field(description="ok or unavailable")
    sweeper: str = Field(description="ok, or silent when no worker swept in the last 30 s")
    sweeper_last_seen: datetime | None
