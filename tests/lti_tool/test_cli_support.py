"""One rule for every URL option of `kompetenslyft` (platform endpoints, the LRS, the HR
endpoint, sync targets): an absolute http(s) URL with a host and no credentials in it, told
in the words each command used before."""

import click
import pytest
from click.testing import CliRunner

from lti_tool.cli.support import HttpUrl


def run(url_type: HttpUrl, value: str):
    @click.command()
    @click.option("--url", type=url_type)
    def command(url):
        click.echo(f"ok {url}")

    return CliRunner().invoke(command, ["--url", value])


@pytest.mark.parametrize(
    "value",
    [
        "https://moodle.umea.example/mod/lti/auth.php",
        "http://127.0.0.1:8080/xAPI/",
        "https://[::1]:8443/hr",
    ],
)
def test_a_web_address_is_taken_as_typed(value):
    result = run(HttpUrl(), value)

    assert result.exit_code == 0 and result.output == f"ok {value}\n"


@pytest.mark.parametrize(
    "value",
    ["moodle", "ftp://moodle.example/x", "https://", "http://:80/x", "https://host:port/x", ""],
)
def test_anything_else_is_refused_as_a_bad_option(value):
    result = run(HttpUrl(), value)

    assert result.exit_code == 2
    assert "Invalid value for '--url': must be an http(s) URL" in result.output


def test_the_platform_commands_words_name_the_value():
    result = run(HttpUrl(refusal="{url!r} is not an http(s) URL"), "moodle")

    assert "Invalid value for '--url': 'moodle' is not an http(s) URL" in result.output


@pytest.mark.parametrize(
    ("credentials_in", "said"),
    [
        ("the secrets", "put credentials in the secrets, not in the URL"),
        (None, "the URL must not hold a user name or password"),
    ],
)
def test_credentials_in_the_url_are_refused_everywhere(credentials_in, said):
    for value in ("https://key:secret@lrs.example/xAPI/", "https://key@lrs.example/xAPI/"):
        result = run(HttpUrl(credentials_in=credentials_in), value)

        assert result.exit_code == 2 and said in result.output
