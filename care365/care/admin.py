"""Admin views of daily care. Records are written through the services (which check who may and
write the audit row), so the admin shows them read-only; only the county's settings are edited
here. Lists show children by id, never by name."""

from django.contrib import admin

from .models import (
    CareEvent,
    CareSettings,
    CareTask,
    Contact,
    Examination,
    HealthSession,
    RiskScore,
    Screening,
    Wish,
)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # stubs' generic params
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CareSettings)
class CareSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "county",
        "volunteer_visit_days",
        "home_visit_days",
        "safety_check_days",
        "parent_contact_days",
        "risk_interval_percent",
        "risk_threshold",
    )
    autocomplete_fields = ("county",)
    filter_horizontal = ("trained_screeners",)
    readonly_fields = ("updated_at", "updated_by")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "kind", "child_id", "logged_by", "duration_minutes", "mood")
    list_filter = ("kind", "follow_up_needed")
    date_hierarchy = "occurred_at"


@admin.register(Examination)
class ExaminationAdmin(ReadOnlyAdmin):
    list_display = ("examined_on", "child_id", "doctor", "zhfa", "zbfa")
    date_hierarchy = "examined_on"


@admin.register(HealthSession)
class HealthSessionAdmin(ReadOnlyAdmin):
    list_display = ("held_on", "topic", "area", "doctor")
    date_hierarchy = "held_on"


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ("screened_on", "child_id", "instrument", "instrument_version", "band")
    list_filter = ("instrument", "above_cutoff")
    date_hierarchy = "screened_on"


@admin.register(CareTask)
class CareTaskAdmin(ReadOnlyAdmin):
    list_display = ("due_on", "kind", "child_id", "assignee", "state")
    list_filter = ("kind", "state")


@admin.register(RiskScore)
class RiskScoreAdmin(ReadOnlyAdmin):
    list_display = ("child_id", "score", "on_list", "computed_on")
    list_filter = ("on_list",)


@admin.register(Wish)
class WishAdmin(ReadOnlyAdmin):
    list_display = ("posted_at", "child_id", "cost_yuan", "state")
    list_filter = ("state",)


@admin.register(CareEvent)
class CareEventAdmin(ReadOnlyAdmin):
    list_display = ("held_on", "kind", "title", "area")
    list_filter = ("kind",)
