"""API plumbing shared by every app's API: authentication, errors, ETags, idempotency, paging, parsers,
renderers, schema and throttling. It knows no domain app: the models it needs are named in settings
(API_TOKEN_MODEL, API_IDEMPOTENCY_MODEL), the way Django names AUTH_USER_MODEL."""
