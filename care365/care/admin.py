"""Admin of daily care: only the county's settings (visit intervals, risk threshold, trained
screeners). Contacts, examinations, screenings, tasks, risk scores, wishes, health sessions and
events are children's data: Django's admin reads them without the access layer, so without an
access-log entry or the role's field rules. They are read only through the app's own pages and
API (docs/privacy.md), and tests/security/test_admin.py keeps them out of the admin."""

from django.contrib import admin

from care365.care.models import CareSettings


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
