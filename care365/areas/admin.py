from django.contrib import admin

from care365.areas.models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # stubs' generic params
    list_display = ("code", "name", "level", "parent", "latitude", "longitude")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
