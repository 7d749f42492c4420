import io

import pytest
from PIL import Image

from blog.media import services
from users.roles import Role


def picture(fmt="JPEG", size=(64, 48), color=(200, 40, 40), mode="RGB", **save):
    """The bytes of a small real picture."""
    image = Image.new(mode, size, color)
    if mode == "RGB":
        # Not one flat colour: a resize that got the orientation wrong shows.
        for x in range(size[0] // 2):
            image.putpixel((x, 0), (0, 0, 255))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture
def make_picture():
    return picture


@pytest.fixture
def contributor(make_user):
    return make_user(email="contrib@example.com", verified=True, role=Role.CONTRIBUTOR)


@pytest.fixture
def upload(author, django_capture_on_commit_callbacks):
    """Upload bytes as `by` (the author by default), its variants made as the consumer would."""

    def do(data, *, by=None, alt="", name="photo.jpg"):
        with django_capture_on_commit_callbacks(execute=True):
            return services.image_upload(by=by or author, file=io.BytesIO(data), alt=alt, name=name)

    return do
