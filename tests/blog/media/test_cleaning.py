"""What Pillow keeps of an upload, and what it refuses (blog/media/cleaning.py): no database, no storage."""

import io
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from blog.media.cleaning import ANIMATION_MAX_FRAMES, PictureRefused, picture_clean, variants_encode
from tests.blog.media.conftest import picture

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 30_000_000, "max_edge": 2400}


def clean(data, **limits):
    return picture_clean(io.BytesIO(data), **{**LIMITS, **limits})


def opened(cleaned):
    return Image.open(io.BytesIO(cleaned.data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "AVIF"])
def test_each_format_is_kept_as_itself(fmt):
    cleaned = clean(picture(fmt, size=(64, 48)))
    assert (cleaned.format, cleaned.width, cleaned.height, cleaned.animated) == (fmt, 64, 48, False)
    assert opened(cleaned).format == fmt


def test_the_type_comes_from_the_bytes_not_the_name():
    # The name never reaches the cleaner: a PNG is a PNG whatever it was called.
    assert clean(picture("PNG")).format == "PNG"


def _exif_with_gps_and_camera(orientation=1):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camera Maker"
    exif[0x0110] = "Model X"
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    return exif


def test_metadata_is_stripped_gps_camera_serial_comments_and_profiles():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = picture("JPEG", exif=_exif_with_gps_and_camera(), icc_profile=icc, comment=b"taken at home")
    assert b"SERIAL-12345" in data and b"Model X" in data
    cleaned = clean(data)
    image = opened(cleaned)
    assert not image.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp", "photoshop"} & set(image.info)
    for secret in (b"SERIAL-12345", b"Model X", b"Camera Maker", b"taken at home"):
        assert secret not in cleaned.data


def test_png_text_chunks_are_not_kept():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Somebody Private")
    info.add_itxt("Location", "my house", zip=True)
    cleaned = clean(picture("PNG", pnginfo=info))
    assert b"Somebody Private" not in cleaned.data
    assert not opened(cleaned).text


def test_exif_orientation_is_applied_before_it_is_stripped():
    # Orientation 6: the camera was turned; a 64×48 sensor picture shows 48×64.
    cleaned = clean(picture("JPEG", size=(64, 48), exif=_exif_with_gps_and_camera(orientation=6)))
    assert (cleaned.width, cleaned.height) == (48, 64)
    assert not opened(cleaned).getexif()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', id="svg"),
        pytest.param(b"<!doctype html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"%PDF-1.4\n1 0 obj<<>>endobj\n", id="pdf"),
        pytest.param(b"PK\x03\x04" + b"\0" * 100, id="zip"),
        pytest.param(b"BM" + b"\0" * 60, id="bmp-not-taken"),
        pytest.param(b"\x00" * 1000, id="zeros"),
    ],
)
def test_what_is_not_a_picture_is_refused(data):
    with pytest.raises(PictureRefused, match="not a picture"):
        clean(data)


def test_a_real_bmp_or_tiff_is_not_taken_either():
    for fmt in ("BMP", "TIFF"):
        with pytest.raises(PictureRefused, match="JPEG, PNG, GIF, WebP or AVIF"):
            clean(picture(fmt))


def test_an_empty_file_is_refused():
    with pytest.raises(PictureRefused, match="empty"):
        clean(b"")


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all():
    data = picture("PNG", size=(400, 400))

    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, n=-1):
            chunk = super().read(n)
            Counting.read_bytes += len(chunk)
            return chunk

    with pytest.raises(PictureRefused, match="larger than"):
        picture_clean(Counting(data + b"\0" * 10_000), **{**LIMITS, "max_bytes": 1000})
    assert Counting.read_bytes == 0  # Its size is known from where it ends.

    class Unseekable(Counting):
        def seek(self, *args):
            raise OSError("a pipe")

    Counting.read_bytes = 0
    with pytest.raises(PictureRefused, match="larger than"):
        picture_clean(Unseekable(data + b"\0" * 10_000), **{**LIMITS, "max_bytes": 1000})
    assert Counting.read_bytes == 1001


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_a_truncated_picture_is_refused(fmt, keep):
    data = picture(fmt, size=(300, 200), color=(10, 200, 30))
    # Noise that does not compress away, so the cut is in the pixel data.
    noisy = Image.frombytes("RGB", (300, 200), bytes((i * 7919) % 251 for i in range(300 * 200 * 3)))
    out = io.BytesIO()
    noisy.save(out, format=fmt)
    data = out.getvalue()
    with pytest.raises(PictureRefused):
        clean(data[: int(len(data) * keep)])


def _png_claiming(width, height):
    """A tiny PNG whose header claims width×height: a decompression bomb's shape (the data is a few zero rows)."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("size", [(20_000, 20_000), (100_000, 1_000), (65_535, 65_535)])
def test_a_picture_claiming_too_many_pixels_is_refused_before_decoding(size):
    with pytest.raises(PictureRefused, match="megapixels|too many pixels"):
        clean(_png_claiming(*size))


def test_pillows_own_bomb_check_is_at_the_sites_limit():
    # What Pillow allocates before this site can look (an animation's frame as it seeks) is held to the limit.
    clean(picture("PNG", size=(40, 40)), max_pixels=10_000_000)
    assert Image.MAX_IMAGE_PIXELS * 2 == 10_000_000


def test_a_sixteen_bit_picture_keeps_its_greys():
    sixteen = io.BytesIO()
    Image.new("I;16", (20, 20), 30_000).save(sixteen, format="PNG")
    grey = opened(clean(sixteen.getvalue())).convert("L").getpixel((5, 5))
    assert 110 <= grey <= 125  # 30,000 of 65,535, not clipped to white.


def test_a_palette_picture_is_scaled_smoothly_not_by_nearest_neighbour():
    stripes = Image.new("P", (400, 100))
    stripes.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    for x in range(400):
        for y in range(100):
            stripes.putpixel((x, y), x % 2)
    out = io.BytesIO()
    stripes.save(out, format="PNG")
    shrunk = opened(clean(out.getvalue(), max_edge=100)).convert("L")
    assert 80 <= shrunk.getpixel((50, 10)) <= 175  # Black and white stripes average to grey.


def test_a_real_deflate_bomb_is_refused():
    # 12,000 × 12,000 black pixels: 144 megapixels in a few hundred kilobytes.
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(PictureRefused, match="megapixels|too many pixels"):
        clean(out.getvalue())


def _animated(fmt, frames, size=(32, 32)):
    images = [Image.new("RGB", size, (i * 8 % 256, 0, 0)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], duration=50, loop=0, comment=b"made by me")
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_an_animation_keeps_its_frames_and_loses_its_comment(fmt):
    cleaned = clean(_animated(fmt, 5))
    assert cleaned.animated and cleaned.format == fmt
    image = opened(cleaned)
    assert image.n_frames == 5
    assert b"made by me" not in cleaned.data


def test_an_animation_of_too_many_frames_is_refused():
    with pytest.raises(PictureRefused, match="frames"):
        clean(_animated("GIF", ANIMATION_MAX_FRAMES + 1, size=(4, 4)))


def test_a_polyglot_loses_what_was_appended():
    # A JPEG that is also an HTML page: only the picture is kept.
    payload = b"<html><script>alert(document.cookie)</script></html>"
    cleaned = clean(picture("JPEG") + payload)
    assert payload not in cleaned.data and b"<script" not in cleaned.data
    assert cleaned.data.startswith(b"\xff\xd8")


def test_huge_metadata_is_not_kept():
    # A JPEG carrying 60 KB of comment and 60 KB of EXIF text: none of it survives.
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription
    cleaned = clean(picture("JPEG", exif=exif, comment=b"y" * 60_000))
    assert len(cleaned.data) < 10_000


def test_a_png_text_chunk_past_pillows_limit_is_refused_not_a_crash():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    data = picture("PNG")
    # A zTXt chunk that inflates to 50 MB (Pillow refuses text past 1 MB).
    bomb = chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * 50_000_000))
    data = data[:33] + bomb + data[33:]
    try:
        cleaned = clean(data)
    except PictureRefused:
        return
    assert b"aaaa" not in cleaned.data


def test_cmyk_and_sixteen_bit_pictures_come_out_in_modes_every_format_saves():
    assert opened(clean(picture("JPEG", mode="CMYK", color=(0, 255, 255, 0)))).mode == "RGB"
    sixteen = io.BytesIO()
    Image.new("I;16", (20, 20), 40_000).save(sixteen, format="PNG")
    assert clean(sixteen.getvalue()).format == "PNG"


def test_a_large_photo_is_kept_at_the_longest_edge():
    cleaned = clean(picture("JPEG", size=(1200, 800)), max_edge=300)
    assert (cleaned.width, cleaned.height) == (300, 200)


def test_variants_are_made_at_each_width_in_webp_and_the_original_format():
    made = variants_encode(picture("JPEG", size=(1000, 500)), format_="JPEG", widths=[480, 960, 1000])
    assert sorted(made) == [480, 960, 1000]
    webp, fallback = made[480]
    assert Image.open(io.BytesIO(webp)).size == (480, 240) and Image.open(io.BytesIO(webp)).format == "WEBP"
    assert fallback.format == "JPEG" and Image.open(io.BytesIO(fallback.data)).size == (480, 240)
    assert made[1000][1] is None  # At its own width the picture itself serves.


@pytest.mark.parametrize(
    "fmt, alpha, fallback", [("WEBP", False, "JPEG"), ("AVIF", False, "JPEG"), ("WEBP", True, "PNG")]
)
def test_a_webp_or_avif_gets_a_fallback_every_reader_takes(fmt, alpha, fallback):
    data = picture(
        fmt, size=(600, 400), mode="RGBA" if alpha else "RGB", color=(9, 99, 199, 128) if alpha else (9, 99, 199)
    )
    made = variants_encode(data, format_=fmt, widths=[480, 600])
    assert made[480][1].format == fallback and made[600][1].format == fallback  # Its own width too.


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_are_a_picture_or_a_refusal(data):
    try:
        clean(data)
    except PictureRefused:
        pass


_SEEDS = [picture(fmt, size=(24, 16)) for fmt in ("JPEG", "PNG", "GIF", "WEBP")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_SEEDS),
    st.lists(st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=255)), max_size=8),
    st.integers(min_value=0, max_value=600),
)
def test_damaged_pictures_are_a_picture_or_a_refusal(seed, flips, cut):
    data = bytearray(seed)
    for at, value in flips:
        data[at % len(data)] = value
    try:
        cleaned = clean(bytes(data[: len(data) - cut % len(data)]))
    except PictureRefused:
        return
    assert opened(cleaned).format == cleaned.format


def _gif_growing_past_its_screen(side, frames):
    """A GIF whose screen is 1×1 and whose later frames are side×side: Pillow grows its canvas to each."""
    small, big = io.BytesIO(), io.BytesIO()
    Image.new("P", (1, 1), 0).save(small, "GIF")
    Image.new("P", (side, side), 0).save(big, "GIF")
    small, big = small.getvalue(), big.getvalue()

    def body(data):
        flags = data[10]
        return data[13 + (3 * (1 << ((flags & 7) + 1)) if flags & 0x80 else 0) : -1]

    head = small[: 13 + (3 * (1 << ((small[10] & 7) + 1)) if small[10] & 0x80 else 0)]
    control = b"!\xf9\x04\x00\x0a\x00\x00\x00"
    return head + control + body(small) + (control + body(big)) * (frames - 1) + b";"


@pytest.mark.parametrize("side, frames", [(2000, 4), (6000, 3)])
def test_an_animation_whose_frames_outgrow_it_is_refused(side, frames):
    # Found by an attack: 86 KB took 546 MB, and 17 MB would have taken 97 GB.
    data = _gif_growing_past_its_screen(side, frames)
    assert len(data) < 200_000 and Image.open(io.BytesIO(data)).size == (1, 1)
    with pytest.raises(PictureRefused, match="larger than the animation|too many pixels"):
        clean(data)


def test_a_phones_jpeg_with_a_second_picture_inside_is_kept_as_its_photo():
    # MPF: an HDR gain map or a preview after the photo (Pillow opens it as MPO).
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 50, 50)).save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (200, 150), (9, 9, 9))]
    )
    cleaned = clean(out.getvalue())
    assert (cleaned.format, cleaned.width, cleaned.height, cleaned.animated) == ("JPEG", 800, 600, False)
    assert opened(cleaned).format == "JPEG" and getattr(opened(cleaned), "n_frames", 1) == 1
