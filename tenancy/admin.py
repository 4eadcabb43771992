from django.contrib import admin, messages

from .models import ApiToken, Grant, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


def _delete_and_cut_streams(queryset) -> int:
    """Revoking takes effect at once: open portal streams of the users concerned lose those tenants."""
    from django.db import transaction

    from portal.stream import access_revoked  # the admin is UI: it may reach the portal

    lost = [(g.user, g.tenant_id, g.twin_id) for g in queryset.select_related("user") if g.user is not None]
    count, _ = queryset.delete()
    for user, tenant, twin_id in lost:
        if twin_id:
            transaction.on_commit(lambda user=user, t=tenant, i=twin_id: access_revoked(user, set(), {(t, i)}))
        else:
            transaction.on_commit(lambda user=user, t=tenant: access_revoked(user, {t}))
    return count


@admin.action(description="Revoke the selected grants")
def revoke_grants(modeladmin: admin.ModelAdmin, request, queryset) -> None:
    count = _delete_and_cut_streams(queryset)
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
        _delete_and_cut_streams(Grant.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        _delete_and_cut_streams(queryset)

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
