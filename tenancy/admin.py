from django.contrib import admin, messages

from .models import Grant, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.action(description="Revoke the selected grants")
def revoke_grants(modeladmin: admin.ModelAdmin, request, queryset) -> None:
    count, _ = queryset.delete()
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

    def save_model(self, request, obj: Grant, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
