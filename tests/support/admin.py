"""The instance owner's admin secret in tests."""

ADMIN_SECRET = "the-owners-admin-secret-0123456789abcdef"
