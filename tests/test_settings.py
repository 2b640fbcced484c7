"""Settings come from the environment, with one-line errors for bad values."""

import pytest

from config import ConfigError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("UNMIG_DATABASE_URL", "UNMIG_DATA_DIR", "UNMIG_SOURCE", "UNMIG_LANGUAGES"):
        monkeypatch.delenv(var, raising=False)
    s = load_settings()
    assert s.database_url == "sqlite:///data/unmig.db"
    assert str(s.file_store) == "data/files"
    assert s.source == "https://digitallibrary.un.org"
    assert s.languages == ["en"]
    assert s.source_is_remote
    assert "unmig/" in s.user_agent and s.contact in s.user_agent


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNMIG_LANGUAGES", "EN, fr")
    monkeypatch.setenv("UNMIG_SUBJECTS", "REMITTANCES,MIGRANT WORKERS")
    monkeypatch.setenv("UNMIG_DATA_DIR", "/srv/unmig")
    s = load_settings()
    assert s.languages == ["en", "fr"]
    assert s.subjects == ["REMITTANCES", "MIGRANT WORKERS"]
    assert s.database_url == "sqlite:////srv/unmig/unmig.db"


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("UNMIG_LANGUAGES", "en,xx", "invalid UNMIG_LANGUAGES"),
        ("UNMIG_RATE_LIMIT", "fast", "invalid UNMIG_RATE_LIMIT"),
        ("UNMIG_RATE_LIMIT", "0", "invalid UNMIG_RATE_LIMIT"),
        ("UNMIG_SOURCE", "ftp://example.org", "invalid UNMIG_SOURCE"),
        ("UNMIG_PAGE_SIZE", "1000", "invalid UNMIG_PAGE_SIZE"),
    ],
)
def test_bad_values_give_one_line(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
