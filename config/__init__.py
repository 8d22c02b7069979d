"""Configuration shared by the web app, the CLI and the scheduler."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
