"""
Pictures in a real browser against gunicorn and run_huey: an Author adds
one by the file input, one by dragging it onto the text, and one with the
script off (the Upload button posts the form); publishes; the consumer makes
the variants and the post page shows them, sized, at 390 and 1280 px.
"""

import base64
import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.stack.test_browser import DESKTOP, PASSWORD, PHONE, _log_in, _shoot, _unlabelled_inputs, _width_overflow

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.browser]


def _photo(path, size, hue):
    """A picture with something in it (a sky, a sun, a hill), as a camera gives it: EXIF with a place."""
    image = Image.new("RGB", size, (40, 90 + hue, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] * 0.6, size[1] * 0.1, size[0] * 0.8, size[1] * 0.4), fill=(250, 210, 60))
    draw.polygon([(0, size[1]), (size[0] * 0.4, size[1] * 0.45), (size[0], size[1])], fill=(40, 140, 60))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    image.save(path, format="JPEG", quality=90, exif=exif)
    return path


def _drop(page, selector, path, mime="image/jpeg", how="drop"):
    """
    Drag a file from the desktop onto an element (or paste one), as a browser
    delivers it: drop events with a DataTransfer, or a paste event with it.
    """
    data = base64.b64encode(path.read_bytes()).decode()
    page.evaluate(
        """([selector, data, name, mime, how]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: mime}));
            const target = document.querySelector(selector);
            if (how === "paste") {
                const options = {bubbles: true, cancelable: true, clipboardData: transfer};
                target.dispatchEvent(new ClipboardEvent("paste", options));
                return;
            }
            for (const type of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
            }
        }""",
        [selector, data, path.name, mime, how],
    )


def test_an_author_adds_pictures_and_readers_see_them(live_site, browser, screenshots, tmp_path):
    site = live_site
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='pat@example.org', password='{PASSWORD}', is_verified=True, "
        "display_name='Pat Painter', role='author')"
    )
    first = _photo(tmp_path / "harbour.jpg", (2400, 1600), 0)
    second = _photo(tmp_path / "hills.jpg", (1600, 1200), 60)
    page = browser.new_context(viewport=DESKTOP).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, site, "pat@example.org")
    page.get_by_role("link", name="Write").click()
    assert _unlabelled_inputs(page) == []
    page.get_by_label("Title").fill("A day by the sea")
    text = page.get_by_label("Content")
    text.fill("We walked to the harbour.\n")

    # By the file input: described, sent with its progress, its Markdown at the cursor.
    page.get_by_label("Picture", exact=True).set_input_files(str(first))
    page.get_by_label("Describe it for someone who cannot see it (alt text)").fill("Boats in the harbour at noon")
    page.get_by_role("button", name="Upload picture").click()
    expect(page.locator(".picture-status")).to_contain_text("Picture added to the text")
    expect(text).to_have_value(
        re.compile(r"harbour\.\n\n!\[Boats in the harbour at noon\]\(/media/images/.+\.jpg\)\n$")
    )
    text.press("End")
    text.type("\nThen up the hills.\n")

    # By dragging a file onto the text: the script asks for its description first.
    _drop(page, "textarea[name=content]", second)
    expect(page.locator(".picture-status")).to_contain_text("Describe hills.jpg")
    expect(page.get_by_label("Describe it for someone who cannot see it (alt text)")).to_be_focused()
    page.keyboard.type("Green hills under a blue sky")
    _shoot(page, screenshots, "picture-dropped")
    page.keyboard.press("Enter")
    expect(text).to_have_value(re.compile(r"!\[Green hills under a blue sky\]\(/media/images/.+\.jpg\)"))
    assert _width_overflow(page) <= 0
    _shoot(page, screenshots, "picture-added")

    # Pasted (a screenshot from the clipboard): the same, where the cursor is.
    screenshot = tmp_path / "screenshot.png"
    Image.new("RGB", (300, 200), (200, 200, 30)).save(screenshot, format="PNG")
    _drop(page, "textarea[name=content]", screenshot, mime="image/png", how="paste")
    expect(page.locator(".picture-status")).to_contain_text("Describe screenshot.png")
    page.keyboard.type("A yellow square")
    page.keyboard.press("Enter")
    expect(text).to_have_value(re.compile(r"!\[A yellow square\]\(/media/images/.+\.png\)"))

    # A file that is no picture: said beside the button, nothing added.
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("<html><script>alert(1)</script></html>")
    before = text.input_value()
    page.get_by_label("Picture", exact=True).set_input_files(str(bogus))
    page.get_by_role("button", name="Upload picture").click()
    expect(page.locator(".picture-status")).to_contain_text("not a picture this site takes")
    assert text.input_value() == before

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="A day by the sea", level=1)).to_be_visible()
    expect(page.get_by_text("Published.")).to_be_visible()
    post_url = page.url

    # The consumer makes the variants, then the post asks for them.
    for _ in range(60):
        page.goto(post_url)
        if page.locator(".post-body picture").count() == 3:
            break
        page.wait_for_timeout(500)
    pictures = page.locator(".post-body picture img")
    expect(pictures).to_have_count(3)
    expect(pictures.first).to_have_attribute("alt", "Boats in the harbour at noon")
    assert pictures.first.get_attribute("width") == "2400" and pictures.first.get_attribute("height") == "1600"
    for size, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page.set_viewport_size(size)
        page.goto(post_url)
        for index in range(2):
            picture = pictures.nth(index)
            picture.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
            source = picture.evaluate("img => img.currentSrc")
            assert re.search(r"/media/images/.+-(480|960|1600)\.webp$", source), (label, source)
            shown = picture.evaluate("img => img.getBoundingClientRect().width")
            assert 0 < shown <= size["width"]
        assert _width_overflow(page) <= 0, label
    _shoot(page, screenshots, "post-with-pictures")

    # What a reader's browser fetched: the cleaned picture, cached for a year, no place or camera in it.
    response = page.request.get(site.url + pictures.first.get_attribute("src"))
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert b"Camera Maker" not in response.body()
    assert not Image.open(io.BytesIO(response.body())).getexif()
    assert errors == []


def test_without_a_script_the_upload_button_adds_the_picture_to_the_text(live_site, browser, screenshots, tmp_path):
    site = live_site
    site.shell(
        "from users.models import User\n"
        f"User.objects.create_user(email='nojs@example.org', password='{PASSWORD}', is_verified=True, role='author')"
    )
    photo = _photo(tmp_path / "garden.jpg", (1200, 900), 30)
    page = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    _log_in(page, site, "nojs@example.org")
    page.goto(site.url + "/write/")
    page.get_by_label("Title").fill("The garden")
    page.get_by_label("Content").fill("Roses this year.")
    page.get_by_label("Picture", exact=True).set_input_files(str(photo))
    page.get_by_label("Describe it for someone who cannot see it (alt text)").fill("Red roses on a fence")
    page.get_by_role("button", name="Upload picture").click()
    expect(page.get_by_text("Added garden.jpg at the end of the text")).to_be_visible()
    expect(page.get_by_label("Content")).to_have_value(
        re.compile(r"Roses this year\.\n\n!\[Red roses on a fence\]\(/media/")
    )
    expect(page.get_by_label("Title")).to_have_value("The garden")
    assert _width_overflow(page) <= 0
    _shoot(page, screenshots, "picture-added-without-script")
    # A second picture chosen but not uploaded: Publish still publishes.
    page.get_by_label("Picture", exact=True).set_input_files(str(photo))
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", name="The garden", level=1)).to_be_visible()
    expect(page.get_by_text("Published.")).to_be_visible()
    expect(page.locator(".post-body img")).to_have_attribute("alt", "Red roses on a fence")
