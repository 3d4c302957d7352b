"""Uploaded task lists (清单.xlsx): read-only here; they are previewed and committed on the import page."""

from django.contrib import admin

from ..models import ImportBatch
from .base import ReadOnlyAdmin, unit_q


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["filename", "campaign", "status", "uploaded_by", "uploaded_at", "committed_at"]
    list_filter = ["status"]
    search_fields = ["filename", "sha256"]
    date_hierarchy = "uploaded_at"
    list_select_related = ["campaign", "uploaded_by__unit"]
    # The uploaded bytes are no reading matter.
    fields = [
        "campaign",
        "filename",
        "sha256",
        "status",
        "uploaded_by",
        "uploaded_at",
        "committed_by",
        "committed_at",
        "counts",
        "preview",
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("content").filter(unit_q(request.user, "campaign__owner__"))
        )
