"""A full disk: pages still read, writes get a plain answer, and the log is not flooded."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse

from site import storage

pytestmark = pytest.mark.django_db

FULL = OperationalError("database or disk is full")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture(autouse=True)
def _fresh_log_clock():
    storage._logged_at.clear()


def test_a_post_page_is_served_when_its_read_cannot_be_counted(client, post, caplog):
    with mock.patch("blog.services.post_read_record", side_effect=FULL), caplog.at_level(logging.ERROR):
        for n in range(5):
            response = client.get(post.get_absolute_url(), REMOTE_ADDR=f"198.51.100.{n}", HTTP_USER_AGENT=BROWSER)
            assert response.status_code == 200 and post.title in response.content.decode()
    assert [r.getMessage() for r in caplog.records].count(
        "cannot write read counts: database or disk is full (logged once a minute while it lasts)"
    ) == 1


def test_a_refused_write_gets_a_page_that_says_so(client):
    fields = {"email": "a@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    with mock.patch("users.services.user_create", side_effect=FULL):
        response = client.post(reverse("users:signup"), fields)
    assert response.status_code == 503
    assert "The site cannot save right now" in response.content.decode()


def test_other_database_errors_are_not_mistaken_for_a_full_disk(client, post):
    client.raise_request_exception = False
    with mock.patch("blog.services.post_read_record", side_effect=OperationalError("no such column: x")):
        response = client.get(post.get_absolute_url(), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 500


def test_the_log_line_comes_again_after_a_minute(caplog):
    with caplog.at_level(logging.ERROR), mock.patch("site.storage.time.monotonic", side_effect=[100.0, 130.0, 161.0]):
        for _ in range(3):
            storage.write_failure_log("x", FULL)
    assert len(caplog.records) == 2
