"""Test-wide settings: no test reads or writes the real user's personal model folder."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_personal_models(tmp_path_factory, monkeypatch):
    """Point ``$AUTOMIX_PERSONAL_MODELS`` at an empty folder of the test session."""
    monkeypatch.setenv("AUTOMIX_PERSONAL_MODELS", str(tmp_path_factory.getbasetemp() / "personal-models"))
