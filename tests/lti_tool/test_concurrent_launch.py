"""The same launch posted twice at the same moment is accepted once (the nonce row decides)."""

from concurrent.futures import ThreadPoolExecutor

import requests


def test_simultaneous_replays_are_accepted_exactly_once(browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))
    cookies = browser.cookies.get_dict()

    def post(_):
        with requests.Session() as twin:  # each a copy of the same browser
            twin.cookies.update(cookies)
            return platform.post_launch(twin, token, auth["state"], allow_redirects=False)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303] + [403] * 7
    assert {r.json()["error"] for r in responses if r.status_code == 403} == {"nonce_replayed"}
