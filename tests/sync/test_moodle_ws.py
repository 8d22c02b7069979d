"""The Moodle web-service client: Moodle's parameter encoding and what its errors mean."""

from __future__ import annotations

import pytest

from outbound.http_client import make_http_session
from sync.moodle_ws import (
    MoodleError,
    MoodleUnavailable,
    MoodleWs,
    as_delivery_failure,
    flatten,
)
from tests.support.moodle_ws import TOKEN, MoodleDouble, recorded


@pytest.fixture
def moodle():
    double = MoodleDouble()
    yield double
    double.stop()


def test_arrays_and_objects_are_flattened_as_php_reads_them():
    assert flatten(
        {
            "competencies": [{"id": 3}, {"id": 4}],
            "plan": {"name": "Kompetenslyft", "status": 1},
            "visible": True,
            "note": None,
        }
    ) == {
        "competencies[0][id]": "3",
        "competencies[1][id]": "4",
        "plan[name]": "Kompetenslyft",
        "plan[status]": "1",
        "visible": "1",
    }


def test_a_call_answers_the_recorded_shape(moodle):
    client = MoodleWs(make_http_session(timeout=10, retries=0), moodle.url + "/", TOKEN)

    frameworks = client.call("core_competency_list_competency_frameworks", context={"contextid": 1})

    assert frameworks == recorded("core_competency_list_competency_frameworks")["response"]
    assert moodle.calls[-1][1]["context"] == {"contextid": "1"}
    assert TOKEN not in repr(client)


def test_an_invalid_token_comes_with_http_200_and_concerns_the_target(moodle):
    client = MoodleWs(make_http_session(timeout=10, retries=0), moodle.url, "wrong")

    with pytest.raises(MoodleError) as raised:
        client.call("core_webservice_get_site_info")

    assert raised.value.errorcode == "invalidtoken" and raised.value.concerns_target
    failure = as_delivery_failure(raised.value)
    assert failure.retryable and "token" in failure.reason


def test_a_missing_record_is_this_deliverys_failure(moodle):
    client = MoodleWs(make_http_session(timeout=10, retries=0), moodle.url, TOKEN)
    moodle.fail("core_competency_read_plan", "invalidrecord")

    with pytest.raises(MoodleError) as raised:
        client.call("core_competency_read_plan", id=999999)

    failure = as_delivery_failure(raised.value)
    assert not failure.retryable and "invalidrecord" in failure.reason


def test_no_answer_is_retryable(moodle):
    client = MoodleWs(make_http_session(timeout=10, retries=0), moodle.url, TOKEN)
    moodle.drop_after("core_competency_list_competency_frameworks")

    with pytest.raises(MoodleUnavailable) as raised:
        client.call("core_competency_list_competency_frameworks")

    assert as_delivery_failure(raised.value).retryable
