"""Paper-form template definitions and everything derived from them."""
from . import messages  # noqa: F401  (Chinese wording of marshmallow's messages, before any schema)
