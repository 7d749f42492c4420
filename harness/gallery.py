"""
A gallery of the site for a person to look at: every reader and writer page
of a seeded site (gunicorn + run_huey, production settings), in light and
dark, at 390 and 1280 px, as full-page screenshots named
`<page>-<light|dark>-<390|1280>.png`. It doubles as a check: it prints each
page's horizontal overflow and exits non-zero when a page is wider than a
390 px screen or answers an unexpected HTTP status.

    .venv/bin/python -m harness.gallery [--out DIR]

DIR defaults to test-artifacts/screenshots/gallery/. Takes a minute or two.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.live import BROWSER_UA, CHROMIUM, CHROMIUM_ARGS, ROOT, LiveSite, SmtpServer, collectstatic, wait_for

PASSWORD = "gallery-passphrase-42"
VIEWPORTS = {390: 844, 1280: 900}
SCHEMES = ("light", "dark")

# Text that stretches a layout the way real posts do: every Markdown block,
# a table with many columns, a long code line and a long unbroken address.
WIDE = """\
Notes from a week of measuring one small server.

## The numbers

| Day | Requests | p50 ms | p95 ms | p99 ms | Errors | Mail sent | Disk used |
|---|---|---|---|---|---|---|---|
| Monday | 48,210 | 12 | 41 | 97 | 0 | 1,204 | 2.1 GB |
| Tuesday | 51,877 | 13 | 44 | 120 | 2 | 1,311 | 2.1 GB |

```sh
gunicorn -c site/gunicorn.conf.py --access-logfile - --error-logfile - --capture-output --timeout 60
```

The full log is at https://example.org/logs/2024/very-long-file-name-without-any-break-in-it-at-all.txt for anyone.

1. Measure first.
2. Then *change one thing*.

> A benchmark you did not run yourself is a rumour.
"""
# The seed after `seed_demo` (three Authors, six posts, views): people who
# log in, a picture, a draft, a post awaiting review, the About page.
SEED = """
import io, json
from PIL import Image as Picture, ImageDraw
from blog import services
from blog.media.services import image_upload
from blog.pages.services import page_save
from users.models import User
ada = User.objects.get(email='ada@example.com'); ada.set_password(PW); ada.save()
made = dict(password=PW, is_verified=True)
editor = User.objects.create_user(**made | dict(email='edna@example.org', display_name='Edna Editor', role='editor'))
User.objects.create_user(**made | dict(email='avery@example.org', display_name='Avery Admin', role='administrator'))
cory = User.objects.create_user(
    **made | dict(email='cory@example.org', display_name='Cory Contributor', role='contributor'))
photo = Picture.new('RGB', (1600, 1000), (40, 90, 200))
ImageDraw.Draw(photo).polygon([(0, 1000), (640, 450), (1600, 1000)], fill=(40, 140, 60))
data = io.BytesIO(); photo.save(data, format='JPEG', quality=85); data.seek(0)
image_upload(by=ada, file=data, alt='A green hill under a blue sky', name='hill.jpg')
draft = services.post_create(author=ada, title='Notes on a slow disk', content='Half written.\\n\\n- fsync\\n- WAL')
services.post_write(author=cory, title='My first post here', content='Hello, *editors*.', submit=True)
page_save(by=editor, title='About', slug='', published=True,
          content='We are **three people** writing about small servers.\\n\\n[Write to us](mailto:hi@example.org).')
post = ada.posts.filter(published_at__isnull=False).order_by('published_at').first()
print(json.dumps(dict(author_id=ada.pk, post=post.slug, tag=post.tags.first().slug, draft=draft.slug)))
"""
# Once the consumer has made the picture's variants, so the post shows them.
SEED_PICTURE = """
import json
from blog import services
from blog.models import Image
from users.models import User
ada, editor = User.objects.get(email='ada@example.com'), User.objects.get(email='edna@example.org')
wide = services.post_create(author=ada, title='A week of numbers from one small server', publish=True,
                            content=Image.objects.get().markdown + '\\n\\n' + WIDE, tags=['benchmarks', 'sqlite'])
services.post_create(author=editor, title='Editing other people kindly', publish=True, tags=['writing'],
                     content='## Ask first\\n\\nThen suggest. Keep the `voice` theirs.')
print(json.dumps(dict(wide=wide.slug)))
"""

# (name, address, who is logged in, the status it should answer, schemes).
PAGES = [
    ("home", "/", None, 200, SCHEMES),
    ("post", "/posts/{post}/", None, 200, SCHEMES),
    ("post-wide", "/posts/{wide}/", None, 200, SCHEMES),
    ("tag", "/tags/{tag}/", None, 200, SCHEMES),
    ("author", "/authors/{author_id}/", None, 200, SCHEMES),
    ("about", "/about/", None, 200, SCHEMES),
    ("search", "/search/?q=sqlite", None, 200, SCHEMES),
    ("login", "/accounts/login/", None, 200, SCHEMES),
    ("signup", "/accounts/signup/", None, 200, SCHEMES),
    ("password-reset", "/accounts/password/reset/", None, 200, SCHEMES),
    ("not-found", "/no-such-page/", None, 404, SCHEMES),
    ("write", "/write/", "ada@example.com", 200, SCHEMES),
    ("edit-draft", "/posts/{draft}/edit/", "ada@example.com", 200, SCHEMES),
    ("dashboard", "/dashboard/", "ada@example.com", 200, SCHEMES),
    ("fediverse", "/dashboard/fediverse/", "ada@example.com", 200, SCHEMES),
    ("pictures", "/pictures/", "ada@example.com", 200, SCHEMES),
    ("profile", "/accounts/profile/", "ada@example.com", 200, SCHEMES),
    ("review", "/review/", "edna@example.org", 200, SCHEMES),
    ("pages", "/pages/", "edna@example.org", 200, SCHEMES),
    ("page-edit", "/pages/about/edit/", "edna@example.org", 200, SCHEMES),
    ("team", "/accounts/team/", "edna@example.org", 200, SCHEMES),
    ("import", "/import/", "edna@example.org", 200, SCHEMES),
    # The admin is Django's own, light only.
    ("admin-settings", "/admin/site/sitesettings/1/change/", "avery@example.org", 200, ("light",)),
]


def shell(site, code):
    """The last line `code` printed, in the site's `manage.py shell`; its traceback when it fails."""
    done = site.manage("shell", "--no-imports", "-c", code, check=False)
    if done.returncode:
        raise RuntimeError(f"seeding failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


# Ada is followed from the fediverse, and asked by a few who wait for her approval (long addresses included).
SEED_FOLLOWERS = """
from django.utils import timezone
from blog.federation.services import actor_ensure
from blog.models import Actor, Follower
from users.models import User
actor = actor_ensure(user=User.objects.get(email="ada@example.com"))
Actor.objects.filter(pk=actor.pk).update(approves_follows=True)
for n, name in enumerate(["reader", "a_reader_with_a_very_long_name_indeed", "bo"]):
    Follower.objects.create(actor=actor, remote_id=f"https://social{n}.example/users/{name}",
                            inbox=f"https://social{n}.example/users/{name}/inbox", accepted_at=timezone.now())
for n in range(2):
    Follower.objects.create(actor=actor, remote_id=f"https://mastodon.example/users/waiting_reader_{n}",
                            inbox=f"https://mastodon.example/users/waiting_reader_{n}/inbox")
print("ok")
"""


def seed(site):
    """Fill the site; the addresses of what was made, by name."""
    site.manage("seed_demo")
    made = json.loads(shell(site, f"PW = {PASSWORD!r}\n" + SEED))
    shell(site, SEED_FOLLOWERS)
    owed = "from blog.models import Image; print(Image.objects.filter(variants_at=None).count())"
    wait_for(lambda: shell(site, owed) == "0", 60, interval=0.5, message="the picture's variants")
    return made | json.loads(shell(site, f"WIDE = {WIDE!r}\n" + SEED_PICTURE))


def log_in(page, url, email):
    page.goto(url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda address: "/accounts/login/" not in address)


def shoot(browser, site, made, out):
    """Every page in every scheme and width: rows of (page, scheme, width, status, overflow, expected status)."""
    rows, contexts = [], {}
    try:
        for name, address, who, expected, schemes in PAGES:
            if who not in contexts:
                # A person's browser: headless Chromium's own user agent is a bot's.
                contexts[who] = browser.new_context(user_agent=BROWSER_UA).new_page()
                if who:
                    log_in(contexts[who], site.url, who)
            page = contexts[who]
            for scheme in schemes:
                page.emulate_media(color_scheme=scheme)
                for width, height in VIEWPORTS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    response = page.goto(site.url + address.format(**made))
                    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                    page.screenshot(path=str(out / f"{name}-{scheme}-{width}.png"), full_page=True)
                    rows.append((name, scheme, width, response.status, overflow, expected))
    finally:
        for page in contexts.values():
            page.context.close()
    return rows


def report(rows):
    """Print the table; True when every page answered as it should and fits a phone."""
    print(f"\n{'page':<16} {'mode':<6} {'width':>5} {'status':>6} {'overflow px':>11}")
    good = True
    for name, scheme, width, status, overflow, expected in rows:
        wrong = status != expected or (width == 390 and overflow > 0)
        good &= not wrong
        flag = "  <- expected " + str(expected) if status != expected else "  <- too wide" if wrong else ""
        print(f"{name:<16} {scheme:<6} {width:>5} {status:>6} {overflow:>11}{flag}")
    return good


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "screenshots" / "gallery")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qp-gallery-") as tmp, SmtpServer() as smtp:
        site = LiveSite(Path(tmp) / "site", smtp.port, collectstatic(Path(tmp) / "static"), {"FEDERATION_ENABLED": "1"})
        try:
            site.migrate()
            site.start_web()
            site.start_consumer()
            made = seed(site)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    rows = shoot(browser, site, made, out)
                finally:
                    browser.close()
        finally:
            site.stop_all()
    good = report(rows)
    print(f"\n{len(rows)} screenshots in {out}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
