"""Atom and RSS feeds: Pelican's test site's feeds, written by Pelican (feedgenerator), and Blogger's export."""

from datetime import UTC, datetime

from blog.models import ImportJob, Post


def test_an_rss_feed_then_the_same_sites_atom_feed_gives_each_post_once(run_import, pelican_tests):
    feeds = pelican_tests / "output" / "custom" / "feeds"
    rss = run_import(feeds / "all.rss.xml")
    assert rss.state == ImportJob.State.DONE and rss.format == "rss" and rss.created == 12
    atom = run_import(feeds / "all.atom.xml")
    assert atom.format == "atom" and atom.created == 0 and atom.updated + atom.unchanged == 12
    assert Post.objects.count() == 12
    post = Post.objects.get(title="Oh yeah !")
    assert post.published_at == datetime(2010, 10, 20, 8, 14, tzinfo=UTC) and post.is_published
    assert sorted(t.name for t in post.tags.all()) == ["bar", "oh", "yeah"]
    assert list(post.old_addresses.values_list("path", flat=True)) == ["/oh-yeah.html"]


def test_blogger_export_left_unreadable_part_way_says_so(run_import, pelican_tests):
    # Pelican's sample Blogger export uses the "app:" prefix without declaring it.
    job = run_import(pelican_tests / "content" / "bloggerexport.xml")
    assert job.state == ImportJob.State.FAILED and "stops being valid XML" in job.error
    # Before that point come Blogger's settings and template, which are no posts.
    assert {row["left_out"] for row in job.report if "left_out" in row} == {"settings", "template"}
    assert job.created == Post.objects.count() == 0
