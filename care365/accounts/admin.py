"""Admin of user accounts. The access log is not here: it names children (by id) and who read
them, so it is read on the app's own access-log page, scoped to the reader's county
(docs/privacy.md)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from care365.accounts.models import User
from care365.carers.admin import ONE_LINE


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]  # stubs' generic params
    list_display = ("username", "get_full_name", "role", "area", "carer", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    # Not the email: it is encrypted at rest, and a search would compare it with a token.
    search_fields = ("username", "first_name", "last_name")
    formfield_overrides = ONE_LINE  # the email, in a one-line input
    autocomplete_fields = ("area", "carer")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]  # stubs type fieldsets loosely
        ("Care365", {"fields": ("role", "area", "carer")}),
    )
