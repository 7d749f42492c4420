"""Security findings that only real processes show: gunicorn's own trust, slow clients, every login path."""

import pytest

from harness.live import Client

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize(("behind_proxy", "forged_status"), [("0", 301), ("1", 200)])
def test_gunicorn_trusts_forwarded_proto_only_behind_the_proxy(make_live_site, behind_proxy, forged_status):
    site = make_live_site(consumer=False, SITE_URL="https://localhost", DJANGO_BEHIND_PROXY=behind_proxy)
    client = Client(site.url)
    assert client.get("/")[0] == 301  # Plain HTTP goes to HTTPS.
    # A client on loopback (as anything on the box is) claims TLS. Without a
    # proxy nobody may vouch for the scheme; behind it, only the proxy does.
    assert client.get("/", headers={"X-Forwarded-Proto": "https"})[0] == forged_status
