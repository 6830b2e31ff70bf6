from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the code (subscriptions, reminders, gifts, trials): editors read it and
    act through the order or membership it belongs to, never by editing it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
