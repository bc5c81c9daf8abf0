from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from care365.carers.admin import ONE_LINE

from .models import AccessLog, User


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


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: the access log is evidence and is never edited."""

    list_display = ("at", "user", "child_id", "purpose", "route")
    list_filter = ("purpose",)
    date_hierarchy = "at"

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
