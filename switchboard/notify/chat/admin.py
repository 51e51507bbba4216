"""Admin: chat identities (which chat user the support bot answers as which agent)."""

from __future__ import annotations

from django.contrib import admin

from switchboard.notify.chat.models import ChatIdentity


@admin.register(ChatIdentity)
class ChatIdentityAdmin(admin.ModelAdmin):
    list_display = ("chat_user_name", "chat_user_id", "team_id", "user", "linked_at")
    list_filter = ("team_id",)
    search_fields = ("chat_user_id", "chat_user_name", "user__email", "user__name")
    raw_id_fields = ("user",)
    readonly_fields = ("linked_at",)
    fields = ("user", "team_id", "chat_user_id", "chat_user_name", "linked_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "user":
            from switchboard.accounts.models import Role, User

            kwargs["queryset"] = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
