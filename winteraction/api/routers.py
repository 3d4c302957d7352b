"""The API's router: every resource is keyed by an integer id, so a detail route only matches digits.
`/api/v1/campaigns/0.83/` or `/api/v1/cards/abc/` never reaches a view: the URL resolver answers 404
in the error shape (errors.not_found), on SQLite and PostgreSQL alike."""

from rest_framework.routers import DefaultRouter

# At most 18 digits: any id the database can hold (a bigint), and no number too large for SQLite's
# INTEGER to reach a query.
ID = "[0-9]{1,18}"


class ApiRouter(DefaultRouter):
    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(
            viewset, "lookup_field", "pk"
        )
        value = getattr(viewset, "lookup_value_regex", ID)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{value})"
