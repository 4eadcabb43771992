"""Admin screens: read-mostly windows on the registry.

Twins are written by reconcile only (files and the API); the admin shows
them, their cards, streams, history, events and the current spec errors.
"""

from django.contrib import admin

from .models import PortalEvent, SpecFileError, Stream, Twin, TwinUI, UpdateCmd


class ReadOnlyAdmin(admin.ModelAdmin):
    """No add, change or delete: a delete here would remove a twin with no history row and no event."""

    actions = None  # the bulk "delete selected" action goes with the delete permission

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StreamInline(admin.TabularInline):
    model = Stream
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "topic", "uri", "signal", "unit", "interval"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Twin)
class TwinAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "tenant", "status", "source", "revision", "updated_at"]
    list_filter = ["tenant", "status", "source"]
    search_fields = ["id", "name", "source_path"]
    inlines = [StreamInline]


@admin.register(TwinUI)
class TwinUIAdmin(ReadOnlyAdmin):
    list_display = ["twin", "name", "ui_url", "dtr_id"]
    search_fields = ["twin__id", "name"]


@admin.register(Stream)
class StreamAdmin(ReadOnlyAdmin):
    list_display = ["twin", "kind", "topic", "signal", "unit", "interval"]
    list_filter = ["kind"]
    search_fields = ["topic", "twin__id"]


@admin.register(PortalEvent)
class PortalEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "etype", "tenant", "created_at"]
    list_filter = ["etype", "tenant"]


@admin.register(UpdateCmd)
class UpdateCmdAdmin(ReadOnlyAdmin):
    list_display = ["id", "twin_id", "kind", "revision", "source", "ts"]
    list_filter = ["kind"]
    search_fields = ["twin__id", "source"]


@admin.register(SpecFileError)
class SpecFileErrorAdmin(ReadOnlyAdmin):
    list_display = ["path", "line", "column", "kind", "tenant", "message"]
    list_filter = ["kind", "tenant"]
