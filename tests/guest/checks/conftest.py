"""The guest checks' fixtures; the helpers are in guestlib.py (a module of its own: "conftest"
is already the name of tests/conftest.py in pytest's import space)."""
from guestlib import docker  # noqa: F401  (the session fixture)
