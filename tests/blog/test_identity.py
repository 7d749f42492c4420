"""The site settings in the admin, and every page showing them (blog/identity/, site/models.py SiteSettings)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from blog.media.pruning import images_prune
from blog.media.services import PictureInUse, image_delete, image_upload
from blog.models import Image, Page, Post
from site.models import SiteSettings
from tests.blog.media.conftest import picture
from users.roles import NotAllowed, Role

CHANGE = "/admin/site/sitesettings/1/change/"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


def _form(**changes):
    """The settings form as the admin shows it for the environment's first values, with `changes`."""
    site = SiteSettings.objects.current()
    fields = {
        "title": site.title,
        "description": site.description,
        "accent": site.accent,
        "custom_css": site.custom_css,
        "navigation": site.navigation,
        "footer": site.footer,
        "language": site.language,
        "date_format": site.date_format,
        "posts_per_page": site.posts_per_page,
        "registration": site.registration,
    }
    if site.read_counts_public:
        fields["read_counts_public"] = "on"
    fields.update(changes)
    return {key: value for key, value in fields.items() if value is not None}


@pytest.fixture
def administrator(make_user):
    client = Client()
    client.force_login(make_user(email="admin@example.com", verified=True, role=Role.ADMINISTRATOR))
    return client


@pytest.fixture
def save(administrator, django_capture_on_commit_callbacks):
    """Post the settings form as an Administrator: the response (a 302 when saved)."""

    def do(**changes):
        with django_capture_on_commit_callbacks(execute=True):
            return administrator.post(CHANGE, _form(**changes))

    return do


def test_the_environment_gives_the_first_values_until_an_administrator_saves(db, settings, client):
    settings.SITE_NAME, settings.SITE_DESCRIPTION, settings.SITE_LANGUAGE = "Field Notes", "Birds, mostly.", "en-GB"
    page = client.get("/").content.decode()
    assert "<title>Field Notes</title>" in page and 'content="Birds, mostly."' in page and '<html lang="en-GB">' in page
    assert not SiteSettings.objects.exists()  # Reading wrote nothing.


def test_a_setting_changed_in_the_admin_shows_on_every_reader_page(save, client, post, settings):
    client.get("/")  # Kept by the page cache: the change must forget it.
    response = save(title="Field Notes", description="Birds, mostly.", language="de", accent="#225522")
    assert response.status_code == 302, response.content.decode()[:2000]
    # The account pages too: Django's own views put a `site` of their own in the context.
    paths = ("/", post.get_absolute_url(), f"/authors/{post.author_id}/", "/search/?q=x", "/accounts/login/")
    for path in (*paths, "/accounts/password/reset/", "/accounts/signup/"):
        page = client.get(path).content.decode()
        assert ">Field Notes</span>" in page and '<html lang="de">' in page and "--accent:#225522" in page, path
    assert "Birds, mostly." in client.get("/").content.decode()
    assert "<title>Field Notes</title>" in client.get("/feed/").content.decode()


def test_bad_values_are_refused_with_a_reason_and_nothing_changes(save):
    before = SiteSettings.objects.saved()
    for changes, says in [
        ({"accent": "#ffff00"}, "too light"),
        ({"custom_css": "</style><script>alert(1)</script>"}, "not CSS"),
        ({"navigation": "[Evil](javascript:alert(1))"}, "line 1"),
        ({"navigation": "[Evil](//evil.example/)"}, "starts with /"),
        ({"language": 'en" onload="x'}, "language tag"),
        ({"posts_per_page": "0"}, "greater than or equal to 1"),
        ({"posts_per_page": "51"}, "less than or equal to 50"),
        ({"title": ""}, "required"),
        ({"date_format": "Y-m-d H:i:s"}, "valid choice"),
    ]:
        response = save(**{"title": "Changed", **changes})
        assert response.status_code == 200 and says in response.content.decode(), changes
    after = SiteSettings.objects.get()
    assert [getattr(after, f.name) for f in SiteSettings._meta.fields] == [
        getattr(before, f.name) for f in SiteSettings._meta.fields
    ]


def test_custom_css_is_its_own_file_at_an_address_made_from_it(save, client):
    css = "body { font-family: Georgia, serif; }\n.brand { letter-spacing: .05em }"
    assert save(custom_css=css).status_code == 302
    page = client.get("/").content.decode()
    address = re.search(r'<link rel="stylesheet" href="(/custom-[0-9a-f]{16}\.css)">', page)[1]
    assert "Georgia" not in page  # Linked, never pasted into the page.
    served = client.get(address)
    assert served.status_code == 200 and served.content.decode() == css.strip()
    assert served["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in served["Cache-Control"] and served["X-Content-Type-Options"] == "nosniff"
    assert save(custom_css="body { color: #222 }").status_code == 302
    assert client.get(address).status_code == 404  # The old address is gone with the old sheet.
    assert client.get("/custom-0123456789abcdef.css").status_code == 404
    assert save(custom_css="").status_code == 302
    assert "/custom-" not in client.get("/").content.decode()


def test_the_footer_is_markdown_rendered_as_posts_are(save, client):
    footer = "© Ann · [Mastodon](https://social.example/@ann) <script>alert(1)</script>"
    assert save(footer=footer).status_code == 302
    page = client.get("/").content.decode()
    assert '<a href="https://social.example/@ann"' in page and "<script>alert" not in page


def test_navigation_links_replace_the_pages_in_their_order(save, client, make_user):
    Page.objects.create(title="Colophon", slug="colophon", content="x", published_at=timezone.now())
    assert ">Colophon</a>" in client.get("/").content.decode()  # No links set: the pages.
    assert save(navigation="[Now](/now/)\n[Code](https://code.example/ann)").status_code == 302
    page = client.get("/").content.decode()
    nav = page[page.index('aria-label="Pages"') :]
    assert nav.index(">Now</a>") < nav.index(">Code</a>") and "Colophon" not in page
    assert '<a href="https://code.example/ann">' in nav


def test_dates_and_posts_per_page_follow_the_settings(save, client, make_post):
    for days in range(5):
        make_post(title=f"Post {days}", days_ago=days + 1)
    assert save(date_format="Y-m-d", posts_per_page="2").status_code == 302
    page = client.get("/").content.decode()
    assert re.findall(r">(Post \d)</a>", page) == ["Post 0", "Post 1"]
    assert re.search(r">\d{4}-\d{2}-\d{2}</time>", page)
    older = re.search(r'href="(\?older=[^"]+)"', page)[1].replace("&amp;", "&")
    assert re.findall(r">(Post \d)</a>", client.get("/" + older).content.decode()) == ["Post 2", "Post 3"]


def test_read_counts_are_shown_only_to_whoever_may_edit_unless_the_site_says(save, client, post, settings):
    settings.DJANGO_BEHIND_PROXY = True
    client.get(post.get_absolute_url(), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.7")
    assert "Read " not in client.get(post.get_absolute_url()).content.decode()
    assert save(read_counts_public="on").status_code == 302
    assert re.search(r"Read \d+ time", client.get(post.get_absolute_url()).content.decode())


def test_the_logo_and_icon_go_through_the_pictures_pipeline(save, client):
    logo = SimpleUploadedFile("logo.png", picture("PNG", size=(300, 100)))
    icon = SimpleUploadedFile("icon.png", picture("PNG", size=(64, 64)))
    assert save(logo_file=logo, icon_file=icon).status_code == 302
    site = SiteSettings.objects.get()
    shown = {image.file: image for image in Image.objects.filter(file__in=[site.logo, site.icon])}
    assert set(shown) == {site.logo, site.icon}
    page = client.get("/").content.decode()
    logo_src = re.search(r'<img class="logo" src="/media/([^"]+)" alt="" width="300" height="100">', page)[1]
    icon_href = re.search(r'<link rel="icon" href="/media/([^"]+)">', page)[1]
    assert logo_src in {site.logo, *shown[site.logo].variant_names()} and logo_src.endswith(".webp")
    assert icon_href in {site.icon, *shown[site.icon].variant_names()} and icon_href.endswith(".png")
    assert client.get(f"/media/{logo_src}").status_code == 200 and client.get(f"/media/{icon_href}").status_code == 200
    assert save(logo_remove="on").status_code == 302
    assert SiteSettings.objects.get().logo == "" and 'class="logo"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    "role, upload, says",
    [
        ("logo_file", SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "not a picture"),
        ("icon_file", SimpleUploadedFile("wide.png", picture("PNG", size=(300, 100))), "Crop it to a square"),
    ],
)
def test_a_refused_logo_or_icon_says_why_and_changes_nothing(save, role, upload, says):
    response = save(title="Not saved", **{role: upload})
    assert response.status_code == 200 and says in response.content.decode()
    assert SiteSettings.objects.current().title != "Not saved"


def test_the_sites_pictures_are_never_pruned_nor_deleted_while_shown(save, author, settings):
    assert save(logo_file=SimpleUploadedFile("logo.png", picture("PNG", size=(120, 40)))).status_code == 302
    logo = Image.objects.get(file=SiteSettings.objects.get().logo)
    Image.objects.filter(pk=logo.pk).update(last_used_at=timezone.now() - timedelta(days=400))
    later = timezone.now() + timedelta(days=3)
    images_prune(now=later)
    images_prune(now=later + timedelta(days=2))
    assert Image.objects.filter(pk=logo.pk, prune_after__isnull=True).exists()
    with pytest.raises(PictureInUse, match="logo"):
        image_delete(by=logo.owner, image=logo)


@pytest.mark.parametrize("role", [Role.EDITOR, Role.AUTHOR, Role.CONTRIBUTOR])
def test_below_administrator_nobody_changes_the_site(make_user, role):
    from blog.identity.services import site_settings_save

    user = make_user(email=f"{role.value}@example.com", verified=True, role=role)
    with pytest.raises(NotAllowed):
        site_settings_save(by=user, site=SiteSettings.objects.first_values())
    client = Client()
    client.force_login(user)
    assert client.post(CHANGE, _form(title="Mine now")).status_code in (302, 403)
    assert SiteSettings.objects.current().title != "Mine now"
    assert not Post.objects.exists()


def test_the_title_and_description_are_one_line_wherever_they_go(save, client, post, mailoutbox):
    assert save(title="Field\x0bNotes\n  X", description="Birds,\x1c mostly.\r\n").status_code == 302
    site = SiteSettings.objects.get()
    assert (site.title, site.description) == ("FieldNotes X", "Birds, mostly.")
    for path in ("/feed/", "/feed/atom/", f"/authors/{post.author_id}/feed/"):
        assert client.get(path).status_code == 200, path
    SiteSettings.objects.filter(pk=1).update(title="Shell\nmade")  # Stored without the form.
    assert "<title>Shell made</title>" in client.get("/").content.decode()


def test_a_refused_form_keeps_none_of_the_pictures_it_carried(save):
    logo = SimpleUploadedFile("logo.png", picture("PNG", size=(300, 100)))
    response = save(logo_file=logo, accent="#ffff00")
    assert response.status_code == 200 and "too light" in response.content.decode()
    assert not Image.objects.exists() and SiteSettings.objects.current().logo == ""
    wide = SimpleUploadedFile("wide.png", picture("PNG", size=(300, 100)))
    assert save(icon_file=wide).status_code == 200
    assert not Image.objects.exists()


def test_a_picture_one_had_already_stays_when_the_form_is_refused(save, administrator, django_user_model):
    boss = django_user_model.objects.get(email="admin@example.com")
    data = picture("PNG", size=(300, 100))
    mine = image_upload(by=boss, file=io.BytesIO(data), alt="in my library")
    response = save(logo_file=SimpleUploadedFile("logo.png", data), accent="#ffff00")
    assert response.status_code == 200
    assert Image.objects.filter(pk=mine.pk).exists()


def test_pages_answered_before_any_view_show_the_site_too(save, client):
    assert save(title="Field Notes", accent="#225522").status_code == 302
    page = client.get("/no/such/thing/")
    assert page.status_code == 404 and ">Field Notes</span>" in page.content.decode()
    assert "--accent:#225522" in page.content.decode()
