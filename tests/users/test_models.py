import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError

pytestmark = pytest.mark.django_db


def test_create_user_normalises_email_and_hashes_password():
    user = get_user_model().objects.create_user(email="  Ann@Example.ORG ", password="pw-123456789")
    assert user.email == "ann@example.org"
    assert user.check_password("pw-123456789")
    assert not user.is_verified
    assert str(user) == "ann@example.org"


def test_email_is_unique_whatever_its_case(make_user):
    make_user(email="ann@x.org")
    with pytest.raises(IntegrityError):
        make_user(email="ANN@X.org")


def test_login_lookup_ignores_case(make_user):
    user = make_user(email="ann@x.org")
    assert get_user_model().objects.get_by_natural_key("Ann@X.ORG") == user


def test_create_superuser_is_staff_and_verified():
    admin = get_user_model().objects.create_superuser(email="root@x.org", password="pw-123456789")
    assert admin.is_staff and admin.is_superuser and admin.is_verified
