"""
Pillow, and nothing else, on an uploaded file: what it really is (from its
bytes, never its name), whether it is safe to decode, and a clean copy of it.

A picture is kept only as Pillow encoded it again: upright (EXIF
orientation applied), in sRGB (an ICC profile applied, then dropped), at
most IMAGE_MAX_EDGE pixels on its long side, with no metadata at all (EXIF
with GPS, camera and serial numbers, XMP, comments, text chunks): whatever
was appended to or hidden in the upload (HTML, a script, a zip) is not in
what is kept. CPU work: callers run it outside any transaction.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, ImageSequence

# What a blog shows; SVG (a document that can carry scripts) is not a picture here.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF")
JPEG_QUALITY = 85
WEBP_QUALITY = 80
# An animation is kept as it came (frames are not resized), so it is held to less.
ANIMATION_MAX_FRAMES = 300
ANIMATION_MAX_PIXELS = 25_000_000
_SRGB = ImageCms.createProfile("sRGB")
# What a clean copy keeps of the original's info: how to show it, nothing about it.
_KEPT_INFO = ("transparency", "duration", "loop", "background", "disposal")


class PictureRefused(Exception):
    """Not a picture this site keeps (or not a safe one): the message says why, for the writer."""


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    format: str
    width: int
    height: int
    animated: bool

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def picture_clean(file: BinaryIO, *, max_bytes: int, max_pixels: int, max_edge: int) -> Cleaned:
    """The clean copy of the picture in `file`; PictureRefused for anything else."""
    size = _remaining(file)
    if size is None:  # Not seekable: read, up to one byte past the limit.
        file = io.BytesIO(file.read(max_bytes + 1))
        size = _remaining(file) or 0
    if size == 0:
        raise PictureRefused("The file is empty.")
    if size > max_bytes:
        raise PictureRefused(f"The picture is larger than {max_bytes // 1_000_000:,} MB, the most this site takes.")
    # Pillow's own bomb check, which also guards what this module cannot see
    # before Pillow allocates it (an animation's frame as it seeks), errs at
    # twice its limit: set so that is this site's. (Its warning below that is
    # only a warning: a warnings filter is not thread-safe under gunicorn's
    # threads, and the explicit checks below refuse those pictures anyway.)
    Image.MAX_IMAGE_PIXELS = max_pixels // 2
    try:
        # Pillow reads the file where it is (an upload's temporary file): no copy of it in memory.
        return _clean(file, max_pixels=max_pixels, max_edge=max_edge)
    except PictureRefused:
        raise
    except (Image.UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise PictureRefused(_unreadable(exc)) from exc
    except MemoryError as exc:
        raise PictureRefused("The picture is too large to read.") from exc
    except Exception as exc:  # A decoder's own errors (OSError, ValueError, SyntaxError, EOFError…) on hostile bytes.
        raise PictureRefused("The file is damaged or cut short: it could not be read as a picture.") from exc


def _unreadable(exc: Exception) -> str:
    if isinstance(exc, Image.UnidentifiedImageError):
        return "This is not a picture this site takes: upload a JPEG, PNG, GIF, WebP or AVIF file."
    return "The picture has too many pixels to be read safely."


def _remaining(file: BinaryIO) -> int | None:
    """How many bytes are left to read in `file`, without reading them; None if it cannot say."""
    try:
        start = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return end - start


def _clean(file: BinaryIO, *, max_pixels: int, max_edge: int) -> Cleaned:
    image: Image.Image = Image.open(file, formats=list(FORMATS))
    format_ = image.format or ""
    width, height = image.size
    if width * height > max_pixels:
        raise PictureRefused(
            f"The picture has {width * height / 1e6:,.0f} megapixels; this site takes at most {max_pixels / 1e6:,.0f}."
        )
    frames = getattr(image, "n_frames", 1)
    if format_ == "MPO":
        # A phone's JPEG with a second picture inside (a preview, an HDR gain map): the photo is the first.
        image.seek(0)
        format_, frames = "JPEG", 1
    if frames > 1:
        return _clean_animation(image, format_, frames)
    if format_ == "JPEG" and max(width, height) >= 2 * max_edge:
        # Decoded at a half, a quarter or an eighth of its size: a 24-megapixel photo fits in 18 MB, not 72.
        image.draft("RGB", _fit((width, height), max_edge))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)  # In place: a turned copy would be another 18 MB.
    image = _srgb(image)
    if max(image.size) > max_edge:
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")  # Not nearest neighbour.
        image = image.resize(_fit(image.size, max_edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _encoded(image, format_, animated=False)


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _srgb(image: Image.Image) -> Image.Image:
    """In the colours every screen assumes, in a mode every format here saves."""
    icc = image.info.get("icc_profile")
    if image.mode in ("I", "F") or image.mode.startswith("I;"):
        # 16 bits a channel: scaled to 8 (a plain convert clips everything past 255 to white).
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    elif image.mode in ("YCbCr", "LAB", "HSV") or (image.mode == "CMYK" and not icc):
        image = image.convert("RGB")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, io.BytesIO(icc), _SRGB, outputMode=mode)
            image = converted if converted is not None else image
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # A broken profile: the pixels as they are.
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image


def _clean_animation(image: Image.Image, format_: str, frames: int) -> Cleaned:
    width, height = image.size
    if frames > ANIMATION_MAX_FRAMES or width * height * frames > ANIMATION_MAX_PIXELS:
        raise PictureRefused(
            f"The animation has {frames:,} frames of {width}×{height}; this site takes at most "
            f"{ANIMATION_MAX_FRAMES} frames and {ANIMATION_MAX_PIXELS // 1_000_000} megapixels in all."
        )
    copies, durations = [], []
    for frame in ImageSequence.Iterator(image):
        if frame.size != (width, height):
            # A frame larger than the animation it claims to be: Pillow grows the canvas to it, and a few
            # kilobytes of file would take gigabytes. No encoder writes one.
            raise PictureRefused("The animation's frames are larger than the animation: refused.")
        durations.append(int(frame.info.get("duration", 100)))
        copy = frame.convert("RGBA")
        copy.info = {}
        copies.append(copy)
    first = copies[0]
    first.info = {"duration": durations, "loop": int(image.info.get("loop", 0))}
    return _encoded(first, format_, animated=True, frames=copies[1:])


def _encoded(image: Image.Image, format_: str, *, animated: bool, frames: list[Image.Image] | None = None) -> Cleaned:
    kept = {key: image.info[key] for key in _KEPT_INFO if key in image.info}
    image.info.clear()  # Nothing else of the original reaches the encoder.
    image.info.update(kept)
    options: dict[str, object] = {}
    if format_ == "JPEG":
        image = image if image.mode in ("RGB", "L") else image.convert("RGB")
        options = {"quality": JPEG_QUALITY, "optimize": True, "progressive": True}
    elif format_ in ("WEBP", "AVIF"):
        options = {"quality": WEBP_QUALITY}
    if "transparency" in kept and not animated:
        options["transparency"] = kept["transparency"]
    if animated:
        options.update(save_all=True, append_images=frames or [], duration=kept["duration"], loop=kept["loop"])
        if format_ == "GIF":
            options["disposal"] = 2
    out = io.BytesIO()
    image.save(out, format=format_, **options)
    return Cleaned(data=out.getvalue(), format=format_, width=image.width, height=image.height, animated=animated)


# The fallback beside each WebP copy, for what reads no WebP (mail, link previews, old browsers): a
# JPEG stays a JPEG and a PNG a PNG; a WebP or an AVIF becomes a JPEG, or a PNG if it has transparency.
_FALLBACKS = {"JPEG": "JPEG", "PNG": "PNG", "GIF": "PNG", "WEBP": "JPEG", "AVIF": "JPEG"}


def variants_encode(data: bytes, *, format_: str, widths: list[int]) -> dict[int, tuple[bytes, Cleaned | None]]:
    """
    For each width (all narrower than or as wide as the picture): the
    picture at that width as WebP, and as its fallback (None where the
    picture itself serves: its own width, in a format every reader takes).
    Decoded once, each width made from the next wider one.
    """
    image: Image.Image = Image.open(io.BytesIO(data), formats=[format_])
    full = image.size
    if format_ == "JPEG":
        image.draft("RGB", _fit(full, max(widths) * max(full) // full[0]))
    image.load()
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        # A palette is resized by nearest neighbour: in full colour first.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    fallback_format = _FALLBACKS[format_]
    if fallback_format == "JPEG" and image.mode in ("RGBA", "LA"):
        fallback_format = "PNG"
    made: dict[int, tuple[bytes, Cleaned | None]] = {}
    for width in sorted(widths, reverse=True):
        size = (width, max(1, round(full[1] * width / full[0])))
        if image.size != size:
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        webp = io.BytesIO()
        image.save(webp, format="WEBP", quality=WEBP_QUALITY)
        fallback = None
        if width != full[0] or fallback_format != format_:
            fallback = _encoded(image.copy(), fallback_format, animated=False)
        made[width] = (webp.getvalue(), fallback)
    return made
