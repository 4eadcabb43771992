from django.contrib import admin, messages

from . import services
from .models import ApiToken, Grant, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.action(description="Revoke the selected grants")
def revoke_grants(modeladmin: admin.ModelAdmin, request, queryset) -> None:
    count = services.revoke_grants(queryset)  # open portal streams of the users concerned lose those tenants
    modeladmin.message_user(request, f"Revoked {count} grant(s).", messages.SUCCESS)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["tenant", "twin_id", "user", "group", "role", "created_at", "created_by"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__username", "group__name", "tenant__slug", "twin_id"]
    actions = [revoke_grants]
    autocomplete_fields = ["tenant"]
    raw_id_fields = ["user", "group"]
    readonly_fields = ["created_by", "created_at"]

    def delete_model(self, request, obj: Grant) -> None:
        services.revoke_grants(Grant.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        services.revoke_grants(queryset)

    def save_model(self, request, obj: Grant, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff see and revoke (delete) tokens; tokens are created with `manage.py create_token`, shown once."""

    list_display = ["prefix", "user", "name", "read_only", "created_at", "last_used_at"]
    list_filter = ["read_only"]
    search_fields = ["prefix", "user__username", "name"]
    readonly_fields = ["user", "name", "prefix", "read_only", "created_at", "last_used_at"]
    exclude = ["key_hash"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
