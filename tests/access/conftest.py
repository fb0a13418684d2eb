"""The access tests sign in through the web UI too: they share the UI tests' browser sessions."""

from tests.web.ui.conftest import ui  # noqa: F401 - a fixture, used by name
