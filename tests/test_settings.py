"""Settings: environment over config file over defaults; clear errors."""

import pytest

from jobs.settings import SettingsError, load_settings


def test_defaults_live_under_the_data_directory(lsdih_home, monkeypatch):
    monkeypatch.delenv("LSDIH_NUMBA_CACHE_DIR")
    settings = load_settings()
    assert settings.home == lsdih_home
    assert settings.store_url == f"sqlite:///{lsdih_home / 'lsdih.db'}"
    assert settings.numba_cache == lsdih_home / "numba-cache"
    assert settings.runtime_environment()["NUMBA_THREADING_LAYER"] == "workqueue"
    assert settings.source_of("dask_workers") == "default"


def test_config_file_then_environment(lsdih_home, monkeypatch):
    (lsdih_home / "config.toml").write_text('dask_workers = 4\ndask_scheduler_address = "tcp://10.0.0.1:8786"\n')
    settings = load_settings()
    assert settings.dask_workers == 4 and settings.dask_scheduler_address == "tcp://10.0.0.1:8786"
    assert settings.source_of("dask_workers").startswith("file ")
    monkeypatch.setenv("LSDIH_DASK_WORKERS", "3")
    assert load_settings().dask_workers == 3
    assert load_settings().source_of("dask_workers") == "environment"


def test_invalid_values_name_the_variable(monkeypatch):
    monkeypatch.setenv("LSDIH_DASK_WORKERS", "zero")
    with pytest.raises(SettingsError, match="LSDIH_DASK_WORKERS"):
        load_settings()


def test_unknown_keys_in_the_config_file_are_errors(lsdih_home):
    (lsdih_home / "config.toml").write_text("dask_wrokers = 4\n")
    with pytest.raises(SettingsError, match="unknown settings dask_wrokers"):
        load_settings()


def test_broken_toml_is_reported_with_its_path(lsdih_home):
    (lsdih_home / "config.toml").write_text("dask_workers = = 4\n")
    with pytest.raises(SettingsError, match="config.toml: invalid TOML"):
        load_settings()
