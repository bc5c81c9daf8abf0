"""Admin of user accounts. The access log is not here: it names children (by id) and who read
them, so it is read on the app's own access-log page, scoped to the reader's county
(docs/privacy.md)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]  # stubs' generic params
    list_display = ("username", "get_full_name", "role", "area", "carer", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    autocomplete_fields = ("area", "carer")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]  # stubs type fieldsets loosely
        ("Care365", {"fields": ("role", "area", "carer")}),
    )
