import pytest

from leadership_pods.config.errors import ConfigurationError
from leadership_pods.config.settings import load_settings, normalise_database_url


def test_postgres_urls_are_normalised():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_embedded_default_generates_its_secret_once(tmp_path):
    first = load_settings({"instance_path": tmp_path}, environ={})
    second = load_settings({"instance_path": tmp_path}, environ={})
    assert first.demo and first.database_url.startswith("sqlite:///")
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_without_secret_key_stops_with_a_clear_message(tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY is not set"):
        load_settings({"instance_path": tmp_path},
                      environ={"DATABASE_URL": "postgres://u@h/db"})


def test_environment_is_read(tmp_path):
    settings = load_settings({"instance_path": tmp_path}, environ={
        "DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "s" * 40,
        "LEADERSHIP_PODS_BASE_URL": "https://pods.example.edu/",
        "LEADERSHIP_PODS_JWT_LEEWAY": "30", "LEADERSHIP_PODS_PROXY_COUNT": "1",
    })
    assert settings.base_url == "https://pods.example.edu"
    assert settings.launch_url == "https://pods.example.edu/lti/launch"
    assert settings.jwt_leeway == 30 and settings.proxy_count == 1
    assert not settings.demo


def test_bad_number_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="LEADERSHIP_PODS_JWT_LEEWAY"):
        load_settings({"instance_path": tmp_path}, environ={
            "SECRET_KEY": "s", "LEADERSHIP_PODS_JWT_LEEWAY": "soon"})
