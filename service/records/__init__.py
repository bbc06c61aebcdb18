"""Records management (DESIGN §3): audit trail, consent, lending, retention and destruction.

One module per concern; each raises domain errors from ``errors.py`` that
``service/api/errors.py`` maps to the one error shape. None imports Flask
except ``audit`` (to pick up the caller's address when a request is active).
"""
