"""Settings come from the environment over a TOML file; production refuses unsafe ones."""

import subprocess
import sys
from pathlib import Path

import pytest

from config import SettingsError, load_settings
from lti_tool import create_app

STRONG_SECRET = "k" * 48


def test_embedded_default_keeps_database_and_secret_in_the_instance_folder(tmp_path):
    settings = load_settings(
        environ={"KOMPETENSLYFT_MODE": "development", "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path)}
    )

    assert settings.database_url == f"sqlite:///{tmp_path}/kompetenslyft.sqlite3"
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "secret_key").read_text() == settings.secret_key
    assert settings.dev_platform_enabled
    # The same secret on the next start, so sessions survive a restart.
    again = load_settings(
        environ={"KOMPETENSLYFT_MODE": "development", "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path)}
    )
    assert again.secret_key == settings.secret_key


def test_environment_overrides_the_toml_file(tmp_path):
    config = tmp_path / "kompetenslyft.toml"
    config.write_text(
        '[kompetenslyft]\npublic_url = "https://from-file.example"\njwt_leeway_seconds = 20\n'
    )
    settings = load_settings(
        environ={
            "KOMPETENSLYFT_CONFIG": str(config),
            "KOMPETENSLYFT_JWT_LEEWAY_SECONDS": "5",
            "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path),
            "KOMPETENSLYFT_SECRET_KEY": STRONG_SECRET,
            "KOMPETENSLYFT_DEV_PLATFORM": "false",
        }
    )

    assert settings.public_url == "https://from-file.example"
    assert settings.jwt_leeway_seconds == 5


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"KOMPETENSLYFT_JWT_LEEWAY_SECONDS": "soon"}, "jwt_leeway_seconds"),
        ({"KOMPETENSLYFT_MODE": "staging"}, "mode must be one of"),
        ({"KOMPETENSLYFT_PUBLIC_URL": "moodle.example"}, "public_url"),
        ({"KOMPETENSLYFT_DEV_PLATFORM": "maybe"}, "dev_platform"),
        ({"KOMPETENSLYFT_CONFIG": "/no/such/file.toml"}, "does not exist"),
        ({"KOMPETENSLYFT_HR_MAX_ENDING_PERCENT": "150"}, "hr_max_ending_percent must be"),
        ({"KOMPETENSLYFT_HR_MAX_ENDING_PERCENT": "-1"}, "hr_max_ending_percent must be"),
    ],
)
def test_malformed_settings_are_named(environ, message, tmp_path):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ={"KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path), **environ})


def test_unknown_setting_in_the_file_is_refused(tmp_path):
    config = tmp_path / "k.toml"
    config.write_text('secret_kye = "typo"\n')
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings(environ={"KOMPETENSLYFT_CONFIG": str(config)})


def production(tmp_path, **environ) -> dict:
    base = {
        "KOMPETENSLYFT_MODE": "production",
        "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path),
        "KOMPETENSLYFT_SECRET_KEY": STRONG_SECRET,
        "KOMPETENSLYFT_PUBLIC_URL": "https://kompetenslyft.example.se",
    }
    base.update(environ)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("environ", "reason"),
    [
        ({"KOMPETENSLYFT_DEV_PLATFORM": "true"}, "dev platform is enabled"),
        ({"KOMPETENSLYFT_SECRET_KEY": None}, "no secret key is configured"),
        ({"KOMPETENSLYFT_SECRET_KEY": "changeme"}, "secret key is a default"),
        ({"KOMPETENSLYFT_SECRET_KEY": "short-secret"}, "secret key is a default"),
        ({"KOMPETENSLYFT_PUBLIC_URL": "http://kompetenslyft.example.se"}, "is not https"),
    ],
)
def test_production_refuses_to_start_unsafe_and_says_why(tmp_path, environ, reason):
    settings = load_settings(environ=production(tmp_path, **environ))

    with pytest.raises(SettingsError, match=reason):
        create_app(settings)


def test_production_starts_when_safe(tmp_path):
    settings = load_settings(environ=production(tmp_path))

    app = create_app(settings)

    assert "dev_platform" not in app.blueprints
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "None"


def test_production_is_the_default_mode(tmp_path):
    assert load_settings(environ={"KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path)}).is_production


def test_the_serve_command_explains_a_refusal(tmp_path):
    env = production(tmp_path, KOMPETENSLYFT_PUBLIC_URL="http://insecure.example")
    result = subprocess.run(
        [sys.executable, "-c", "from lti_tool.cli import main; main()", "serve"],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "refusing to start in production mode" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_documented_example_configuration_is_production_ready(tmp_path):
    example = Path(__file__).resolve().parents[2] / "config" / "kompetenslyft.example.toml"
    settings = load_settings(
        environ={
            "KOMPETENSLYFT_CONFIG": str(example),
            "KOMPETENSLYFT_SECRET_KEY": STRONG_SECRET,
            "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path),
        }
    )

    assert settings.unsafe_for_production() == []
