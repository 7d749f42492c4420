"""The gathered raw statements (site/sql.py), run on whichever engine the suite is on (make test runs both)."""

from datetime import date

import pytest

from blog.models import DailyViews, Post, PostRead
from site.models import SendPace
from site.sql import count_up, count_up_existing, row_exists, row_insert_once, turn_take

pytestmark = pytest.mark.django_db


def test_count_up_makes_the_row_at_one_then_adds_one(post):
    key = {"post_id": post.pk, "day": "2026-01-02"}
    table = DailyViews._meta.db_table
    assert count_up(table=table, column="views", key=key) == 1
    assert count_up(table=table, column="views", key=key) == 2
    assert count_up(table=table, column="views", key={**key, "day": "2026-01-03"}) == 1
    assert sorted(DailyViews.objects.values_list("day", "views")) == [(date(2026, 1, 2), 2), (date(2026, 1, 3), 1)]


def test_count_up_without_create_counts_only_an_existing_row(post):
    table = Post._meta.db_table
    assert count_up_existing(table=table, column="view_count", key={"id": post.pk}) == post.view_count + 1
    assert count_up_existing(table=table, column="view_count", key={"id": post.pk + 1000}) is None
    assert Post.objects.count() == 1


def test_a_row_is_inserted_once_and_then_found(post):
    read = {"post_id": post.pk, "day": "2026-01-02", "visitor": "v1"}
    table = PostRead._meta.db_table
    assert not row_exists(table=table, where=read)
    assert row_insert_once(table=table, values=read) is True
    assert row_insert_once(table=table, values=read) is False
    assert row_exists(table=table, where=read) and PostRead.objects.count() == 1


def test_turns_are_spaced_and_never_in_the_past():
    table = SendPace._meta.db_table
    assert turn_take(table=table, name="b", interval=0.5, now=100.0) == 100.0
    assert turn_take(table=table, name="b", interval=0.5, now=100.0) == 100.5
    assert turn_take(table=table, name="b", interval=0.5, now=100.1) == 101.0
    assert turn_take(table=table, name="other", interval=0.5, now=100.1) == 100.1  # A bucket of its own.
    assert turn_take(table=table, name="b", interval=0.5, now=500.0) == 500.0  # Idle long: at once.
