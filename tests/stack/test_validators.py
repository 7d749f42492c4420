"""
Every page kind, feed and mail through external validators, on the real
site (gunicorn) in Chromium: the Nu Html Checker with no error, axe-core
with no serious or critical finding, nothing wider than a 390 px phone or a
1280 px desktop, every Atom feed valid against RFC 4287's schema and every
feed read by feedparser without a complaint. Each page and mail is
screenshotted at both widths under a name of its own.
"""

import json
from pathlib import Path

import pytest
from django.template import engines
from django.utils.html import escape

from harness.live import BROWSER_UA, Client
from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _log_in, _shoot, _width_overflow
from tests.validators.checks import atom_errors, axe_findings, axe_load, feedparser_errors, nu_errors

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser, pytest.mark.validators]
ROOT = Path(__file__).resolve().parents[2]

RICH_POST = """A post with **every kind of block**, to see each one validated.[^1]

## A heading

- a tight list
- of two items

1. A numbered list

   with a second paragraph

> A quotation
> over two lines

| Column | Another column |
|:-------|---------------:|
| a cell | 12 |

```python
def a_function_with_a_rather_long_line_that_scrolls(argument_one, argument_two, argument_three):
    return {"key": argument_one, "another": [argument_two, argument_three]}
```

    indented code

A link to [another post](/posts/post-03/), an autolink https://example.org/a/very/long/path/that/wraps and
`inline code`; a hard break\\
and an image:

![A picture of nothing in particular](https://example.org/picture.png)

---

[^1]: A footnote, with [a link](https://example.org/).
"""

SEED = f"""
from django.utils import timezone
from datetime import timedelta
from blog import services
from blog.models import Post
from users import team
from users.models import User
from users.roles import Role
owner = User.objects.create_superuser(email='owner@example.org', password={PASSWORD!r}, display_name='Olive Owner')
ada = User.objects.create_user(email='ada@example.org', password={PASSWORD!r}, is_verified=True,
    display_name='Ada Author', bio='Writes about SQLite.\\nAnd about mail.', role=Role.AUTHOR)
carl = User.objects.create_user(email='carl@example.org', password={PASSWORD!r}, is_verified=True,
    display_name='Carl Contributor', role=Role.CONTRIBUTOR)
for n in range(12):
    post = services.post_create(author=ada, title=f'Post {{n:02}}', content=f'Short post number {{n}}.', publish=True)
    Post.objects.filter(pk=post.pk).update(published_at=timezone.now() - timedelta(days=20 - n))
import io
from PIL import Image as Picture
from blog.media import services as media_services, variants
photo = io.BytesIO()
Picture.new('RGB', (1200, 800), (30, 120, 200)).save(photo, format='JPEG')
photo.seek(0)
image = media_services.image_upload(by=ada, file=photo, alt='A blue sky', name='sky.jpg')
variants.image_variants_make(image_id=image.pk)
rich = services.post_create(author=ada, title='Every kind of block',
    content={RICH_POST!r} + '\\n\\n' + image.markdown + '\\n', publish=True)
services.post_tags_set(post=rich, names=['sqlite', 'self-hosting'])
services.post_create(author=ada, title='A draft', content='Not yet.')
waiting = services.post_write(author=carl, title='Waiting for review', content='Please read me.', submit=True).post
invitation = team.invitation_create(by=owner, email='new-writer@example.org', role=Role.AUTHOR)
from django.urls import reverse
from blog.models import Subscriber, SubscriptionConfirmation
from site.tokens import confirmation_token_make, invitation_token_make
from users.mailings import _reset_path
subscriber = Subscriber.objects.create(author=ada, email='reader@example.org')
confirmation = SubscriptionConfirmation.objects.create(subscriber=subscriber)
from blog.models import ImportJob
from blog.pages.services import page_save
page_save(by=owner, title='About this blog', slug='about', content='We write about **SQLite**.', published=True)
job = ImportJob.objects.create(started_by=owner, author=ada, file_name='wordpress-export.xml', path='/gone',
    file_size=64148, format='wordpress', state='done', created=9, unchanged=3, skipped=1, report=[
    dict(item='“' + 'A very long title ' * 12 + '” (12)',
         reason='its title is longer than the 200 characters a title may have'),
    dict(left_out='attachment', count=4)])
import json
token = invitation_token_make(invitation_id=invitation.pk)
confirm_token = confirmation_token_make(confirmation_id=confirmation.pk)
print(json.dumps(dict(
    ada=ada.pk, slug=rich.slug, waiting=waiting.slug, reset=_reset_path(carl), job=job.pk,
    invitation=reverse('users:invitation-accept', kwargs=dict(token=token)),
    confirm=reverse('blog:subscriber-confirm', kwargs=dict(token=confirm_token)),
)))
"""


# What a box that scrolls sideways hides: only a post's code and tables may
# (they scroll by keyboard too); a page's own table must fit. (The admin's
# lists scroll inside their box by Django's design.)
HIDDEN_SIDEWAYS = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1)
    .filter(el => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(el).overflowX))
    .filter(el => !el.closest('.post-body pre, .post-body table, .preview pre, .preview table'))
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""


def _pages(seeded):
    """(name, who, path, status) of every page kind; who is None for a visitor."""
    ada_pk, slug, waiting = seeded["ada"], seeded["slug"], seeded["waiting"]
    return [
        ("password-reset-new-password", None, seeded["reset"], 200),
        ("invitation-accept", None, seeded["invitation"], 200),
        ("subscription-confirm", None, seeded["confirm"], 200),
        ("home", None, "/", 200),
        ("post", None, f"/posts/{slug}/", 200),
        ("tag", None, "/tags/sqlite/", 200),
        ("author", None, f"/authors/{ada_pk}/", 200),
        ("login", None, "/accounts/login/", 200),
        ("signup", None, "/accounts/signup/", 200),
        ("signup-done", None, "/accounts/signup/done/", 200),
        ("password-reset-form", None, "/accounts/password/reset/", 200),
        ("password-reset-sent", None, "/accounts/password/reset/sent/", 200),
        ("password-reset-complete", None, "/accounts/password/reset/complete/", 200),
        ("password-reset-bad-link", None, "/accounts/password/reset/MQ/bad-token/", 200),
        ("verify-bad-link", None, "/accounts/verify/bad-token/", 400),
        ("subscription-bad-link", None, "/subscriptions/confirm/bad-token/", 400),
        ("reports-unsubscribe-bad-link", None, "/accounts/reports/unsubscribe/bad-token/", 400),
        ("invitation-bad-link", None, "/accounts/invitations/bad-token/", 404),
        ("not-found", None, "/no-such-page/", 404),
        ("search", None, "/search/?q=kind+of+bloc", 200),
        ("search-nothing", None, "/search/?q=%22%2A", 200),
        ("write", "ada", "/write/", 200),
        ("edit", "ada", f"/posts/{slug}/edit/", 200),
        ("delete-confirm", "ada", f"/posts/{slug}/delete/", 200),
        ("dashboard", "ada", "/dashboard/", 200),
        ("profile", "ada", "/accounts/profile/", 200),
        ("password-change", "ada", "/accounts/password/change/", 200),
        ("password-change-done", "ada", "/accounts/password/change/done/", 200),
        ("post-as-author", "ada", f"/posts/{slug}/", 200),
        ("review-queue", "owner", "/review/", 200),
        ("submitted-post", "owner", f"/posts/{waiting}/", 200),
        ("team", "owner", "/accounts/team/", 200),
        ("pictures", "ada", "/pictures/", 200),
        ("page", None, "/about/", 200),
        ("pages", "owner", "/pages/", 200),
        ("page-new", "owner", "/pages/new/", 200),
        ("page-edit", "owner", "/pages/about/edit/", 200),
        ("admin-pictures", "owner", "/admin/blog/image/", 200),
        ("import", "owner", "/import/", 200),
        ("import-job", "owner", f"/import/{seeded['job']}/", 200),
        ("admin-index", "owner", "/admin/", 200),
        ("admin-queue", "owner", "/admin/queue/", 200),
        ("admin-posts", "owner", "/admin/blog/post/", 200),
        ("admin-post-change", "owner", "/admin/blog/post/1/change/", 200),
        ("admin-users", "owner", "/admin/users/user/", 200),
    ]


def test_every_page_kind_passes_the_validators_and_fits_both_widths(live_site, browser, screenshots, tmp_path):
    site = live_site
    seeded = json.loads(site.shell(SEED).strip().splitlines()[-1])
    ada_pk = seeded["ada"]
    pages = {}
    for who in (None, "ada", "owner"):
        context = browser.new_context(viewport=DESKTOP, user_agent=BROWSER_UA)
        axe_load(context)
        pages[who] = context.new_page()
        if who:
            _log_in(pages[who], site, f"{who}@example.org")
    served, findings, too_wide, statuses = tmp_path / "served", {}, {}, {}
    served.mkdir()
    for name, who, path, status in _pages(seeded):
        page = pages[who]
        response = page.goto(site.url + path)
        statuses[name] = (response.status, status)
        # The Nu Html Checker reads the page as served; axe and the widths, as shown.
        (served / f"{name}.html").write_text(response.text())
        if found := axe_findings(page):
            findings[name] = found
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            if _width_overflow(page) > 0 or (not name.startswith("admin-") and page.evaluate(HIDDEN_SIDEWAYS)):
                too_wide[name] = (size["width"], page.evaluate(HIDDEN_SIDEWAYS))
        page.set_viewport_size(DESKTOP)
        _shoot(page, screenshots, f"page-{name}")

    # Pages that answer a click or a form, validated as served too.
    def answer(name, page, act):
        with page.expect_navigation() as navigation:
            act()
        (served / f"{name}.html").write_text(navigation.value.text())
        findings[name] = axe_findings(page)
        _shoot(page, screenshots, f"page-{name}")

    visitor, ada = pages[None], pages["ada"]
    visitor.goto(site.url + "/")
    answer("home-older", visitor, lambda: visitor.get_by_role("link", name="Older posts").click())
    visitor.goto(f"{site.url}/authors/{ada_pk}/")
    visitor.get_by_label("Email").fill("another-reader@example.org")
    answer("subscribe-pending", visitor, lambda: visitor.get_by_role("button", name="Subscribe").click())
    login = browser.new_context(viewport=DESKTOP)
    axe_load(login)
    stranger = login.new_page()
    stranger.goto(site.url + "/accounts/login/")
    stranger.get_by_label("Email").fill("nobody@example.org")
    stranger.get_by_label("Password").fill("wrong-password-1")
    answer("login-refused", stranger, lambda: stranger.get_by_role("button", name="Log in").click())
    ada.goto(site.url + "/write/")
    answer("write-with-errors", ada, lambda: ada.get_by_role("button", name="Save draft").click())
    ada.get_by_label("Title").fill("A preview")
    ada.get_by_label("Content").fill(RICH_POST)
    answer("write-preview", ada, lambda: ada.get_by_role("button", name="Preview").click())

    assert {name: got for name, (got, expected) in statuses.items() if got != expected} == {}
    found = [f"{name}: {line}" for name, lines in findings.items() for line in lines]
    assert not found, "axe-core:\n" + "\n".join(found)
    assert too_wide == {}
    errors = nu_errors(served)
    assert not errors, "Nu Html Checker:\n" + "\n".join(errors)


def test_the_error_pages_pass_the_nu_html_checker(tmp_path):
    """400, 403, 404, 413, 429, 500 and the rest, as Django renders them (500 without a context)."""
    engine = engines["django"]
    for template in ["400", "403", "403_csrf", "404", "413", "429", "500", "503_cannot_save"]:
        html = engine.get_template(f"{template}.html").render({"request_path": "/x/", "reason": "CSRF"})
        (tmp_path / f"{template}.html").write_text(html)
    assert nu_errors(tmp_path) == []


def test_every_feed_is_valid_atom_or_rss_that_feedparser_reads_cleanly(live_site):
    site = live_site
    ada_pk = json.loads(site.shell(SEED).strip().splitlines()[-1])["ada"]
    feeds = [
        "/feed/", "/feed/atom/", "/rss/", "/atom.xml", f"/authors/{ada_pk}/feed/", f"/authors/{ada_pk}/feed/atom/",
        "/tags/sqlite/feed/", "/tags/sqlite/feed/atom/",
    ]  # fmt: skip
    problems = {}
    for path in feeds:
        status, _, text = Client(site.url).get(path)
        assert status == 200, path
        body = text.encode()
        found = feedparser_errors(body)
        if "atom" in path:
            found += atom_errors(body)
        if found:
            problems[path] = found
    assert problems == {}


EVERY_MAIL = """
import json
from django.test.signals import template_rendered
from django.test.utils import setup_test_environment
from django.utils import timezone
from blog import services
from blog.models import PostMail, Report, ReviewDigest, ReviewMail, Subscriber, SubscriptionConfirmation
from site.registry import kind_get, kinds
from users import team
from users.models import AccountMail, EmailVerification, User
from users.roles import Role

setup_test_environment()  # Template rendering then tells which templates each mail used.
used = set()
template_rendered.connect(lambda sender, template, **kwargs: used.add(template.name), weak=False)
long = 'a-rather-long-address.of.a.reader@subdomain.example.org'
owner = User.objects.create_superuser(email='owner@example.org', password=None)
ada = User.objects.create_user(email=long, password=None, is_verified=True,
    display_name='Ada Author With A Long Name', role=Role.AUTHOR)
post = services.post_create(author=ada, title='A title that goes on ' * 6, content='Words ' * 80, publish=True)
carl = User.objects.create_user(email='carl@example.org', password=None, is_verified=True, role=Role.CONTRIBUTOR)
services.post_write(author=carl, title='Waiting for a decision ' * 4, content='Words.', submit=True)
subscriber = Subscriber.objects.create(author=ada, email='reader-' + long, confirmed_at=timezone.now())
rows = {
    'verification': [EmailVerification.objects.create(user=ada, email=ada.email)],
    'account-mail': [AccountMail.objects.create(user=ada, kind=kind, email=ada.email) for kind in AccountMail.Kind],
    'invitation': [team.invitation_create(by=owner, email='someone-' + long, role=Role.AUTHOR)],
    'report': [Report.objects.create(author=ada, day=timezone.localdate(), days=7)],
    'subscription-confirmation': [SubscriptionConfirmation.objects.create(subscriber=subscriber)],
    'post-mail': [PostMail.objects.create(post=post, subscriber=subscriber)],
    'review-mail': [
        ReviewMail.objects.create(post=post, recipient=owner, kind=kind, email=owner.email, note='See ' * 30 + long)
        for kind in ReviewMail.Kind
    ],
    'review-digest': [ReviewDigest.objects.create(recipient=owner, email=owner.email, day=timezone.localdate())],
}
# Every kind that travels as mail (the fediverse's activities are JSON: tests/blog/federation/test_delivery.py).
mails = {'unrendered kinds': sorted({kind.name for kind in kinds() if kind.transport.name == 'smtp'} - set(rows))}
for name, made in rows.items():
    for row in made:
        message = kind_get(name).render(row)
        mails[name + ('-' + row.kind if hasattr(row, 'kind') else '')] = [message.subject, message.alternatives[0][0]]
mails['templates'] = sorted(used)
print(json.dumps(mails))
"""


def test_every_mail_kind_passes_the_nu_html_checker_and_fits_a_phone(make_live_site, browser, screenshots, tmp_path):
    """One row of every mail kind (each sub-kind of those with several), rendered as the consumer does."""
    mails = json.loads(make_live_site(consumer=False).shell(EVERY_MAIL).strip().splitlines()[-1])
    assert mails.pop("unrendered kinds") == [], "a delivery kind this test does not render yet"
    used = {name for name in mails.pop("templates") if "/email/" in name and name.endswith(".html")}
    on_disk = {str(path.relative_to(path.parents[2])) for path in ROOT.glob("*/templates/*/email/*.html")}
    assert used == on_disk, "a mail template no kind rendered"

    page = browser.new_context(viewport=DESKTOP).new_page()
    too_wide = {}
    for name, (subject, html) in mails.items():
        assert f"<title>{escape(subject)}</title>" in html, name
        (tmp_path / f"{name}.html").write_text(html)
        page.set_content(html)
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            if _width_overflow(page) > 0:
                too_wide[name] = size["width"]
        page.set_viewport_size(DESKTOP)
        _shoot(page, screenshots, f"mail-{name}")
    assert too_wide == {}
    errors = nu_errors(tmp_path)
    assert not errors, "Nu Html Checker:\n" + "\n".join(errors)
