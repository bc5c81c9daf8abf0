"""The county administrator's writes about the county's users: add one (with a one-time link to
set a password), change their role and area or linked carer, deactivate and reactivate, reset
two-step sign-in. Every one checks `may_manage_user` (a county administrator, for a user who
works in their county), runs in one transaction and writes its audit row in it.

`user_invite_link` makes the one-time link; imports of users (accounts' import) reuse it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from care365.accounts import totp
from care365.accounts.access import (
    carers_for_user,
    county_for_admin,
    in_county,
    may_manage_user,
    organisations_for_user,
)
from care365.accounts.models import (
    CARER_ROLES,
    ORGANISATION_ROLES,
    REGISTRY_ROLES,
    ApiToken,
    Role,
    User,
)
from care365.accounts.services import api_tokens_revoke_all
from care365.areas.models import Area
from care365.carers.models import Carer
from care365.core.audit import audit

USER_FIELDS = ("role", "area", "carer", "organisation", "first_name", "last_name", "email")


def _admin_county(actor: User) -> Area:
    county = county_for_admin(actor)
    if county is None:
        raise PermissionDenied
    return county


def _validate(actor: User, county: Area, user: User, values: Mapping[str, Any]) -> list[str]:
    """Apply `values` to `user` (unsaved); the names of the fields that changed. Refuses, by
    field, an area or carer outside the county, a carer that already has a sign-in, and what
    `User.clean` refuses (an area of the wrong level, a carer of another role)."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(USER_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field does not exist.") for name in unknown})
    changed = [
        name for name in USER_FIELDS if name in values and getattr(user, name) != values[name]
    ]
    for name in changed:
        setattr(user, name, values[name])
    if user.role not in Role.values or not user.role:
        errors["role"] = [_("Choose a role.")]
    if user.role not in ORGANISATION_ROLES:
        user.organisation = None
    if user.role in REGISTRY_ROLES:
        user.carer = None
        if user.area is not None and not in_county(county, user.area):
            errors["area"] = [_("Choose an area of your county.")]
    if user.role in CARER_ROLES:
        user.area = None
        carer = user.carer
        if carer is not None:
            if not carers_for_user(actor).filter(pk=carer.pk).exists():
                errors["carer"] = [_("Choose a carer of your county.")]
            elif (
                Carer.objects.filter(pk=carer.pk, user__isnull=False)
                .exclude(user__pk=user.pk)
                .exists()
            ):
                errors["carer"] = [_("This carer already has a sign-in.")]
    if user.role in ORGANISATION_ROLES:
        user.area = None
        user.carer = None
        if user.organisation is not None and not (
            organisations_for_user(actor).filter(pk=user.organisation.pk).exists()
        ):
            errors["organisation"] = [_("Choose an organisation of your county.")]
    user.first_name = " ".join(str(user.first_name).split())[:150]
    user.last_name = " ".join(str(user.last_name).split())[:150]
    user.email = str(user.email).strip()
    if user.email:
        try:
            validate_email(user.email)
        except ValidationError as exc:
            errors["email"] = exc.messages
    if not errors:
        try:
            user.clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return changed


@transaction.atomic
def user_create(*, actor: User, username: str, values: Mapping[str, Any]) -> User:
    """Add a user of the actor's county with a role and its scope: an area of the role's level
    (the county for an administrator, a township for a supervisor, a village for a director) or
    a carer record of the same role (officers, doctors, volunteers). The account has no
    password: send the person the link from `user_invite_link`."""
    county = _admin_county(actor)
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("Choose a username.")})
    field = User._meta.get_field("username")
    try:
        field.run_validators(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")}, code="taken")
    user = User(username=username)
    _validate(actor, county, user, values)
    user.set_unusable_password()
    user.save()
    audit(actor=actor, action="user_create", obj=user, changes=[n for n in values if values[n]])
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, values: Mapping[str, Any]) -> User:
    """Change a user's role, area or linked carer, or their name and email. A change of role
    or scope takes effect at the user's next request (their access is read from it)."""
    county = _admin_county(actor)
    if not may_manage_user(actor, user):
        raise PermissionDenied
    if user.pk == actor.pk and values.get("role", user.role) != user.role:
        raise ValidationError({"role": _("You cannot change your own role.")})
    changed = _validate(actor, county, user, values)
    if changed:
        user.save()
        audit(actor=actor, action="user_update", obj=user, changes=changed)
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> bool:
    """Stop a user from signing in: their sessions end at their next request and their API
    tokens are revoked. The account and everything it did stay (audit, access log). Not one's
    own account. Returns False if the user was inactive already."""
    if not may_manage_user(actor, user):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."), code="self")
    if not user.is_active:
        return False
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    api_tokens_revoke_all(actor=actor, user=user, why=ApiToken.Revoked.ADMIN)
    audit(actor=actor, action="user_deactivate", obj=user)
    return True


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> bool:
    """Let a deactivated user sign in again (with their old password, or a new link)."""
    if not may_manage_user(actor, user):
        raise PermissionDenied
    if user.is_active:
        return False
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    audit(actor=actor, action="user_reactivate", obj=user)
    return True


def user_two_step_reset(*, actor: User, user: User) -> bool:
    """For a user who lost the phone with their authenticator app and their recovery codes:
    remove both, so that their next sign-in sets up a new app (totp.device_reset, audited,
    which also revokes their API tokens). Returns whether there was anything to remove."""
    if not may_manage_user(actor, user):
        raise PermissionDenied
    return totp.device_reset(actor=actor, user=user)


@transaction.atomic
def user_invite_link(*, actor: User | None, user: User) -> str:
    """The path of a one-time link at which `user` sets their password (Django's password
    reset tokens: it stops working once a password is set, at the user's next sign-in, or after
    PASSWORD_RESET_TIMEOUT). For a new user, and for one who forgot their password: a county
    administrator hands it over in person or by message (Care365 sends no password email).

    `actor` is None for the system (the `createsuperuser`-like commands); otherwise they must
    manage the user. The link itself is never stored or logged; its making is audited."""
    if actor is not None and not may_manage_user(actor, user):
        raise PermissionDenied
    if not user.is_active:
        raise ValidationError(
            _("This user is deactivated: reactivate them first."), code="inactive"
        )
    audit(actor=actor, action="user_invite_link", obj=user)
    return password_set_path(user)


def password_set_path(user: User) -> str:
    """The path of `user`'s one-time link to set a password (Django's password reset token).
    Never log or store it."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("web:password-set", kwargs={"uidb64": uid, "token": token})
