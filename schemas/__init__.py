"""Paper-form template definitions and everything derived from them."""
