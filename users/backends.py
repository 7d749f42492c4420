"""
Password checks, whichever way in (the site's login, the admin's, a password
change's old password), all go through one throttle: users.throttles.login_attempt.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from site.http import client_key
from users import throttles
from users.models import User


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ) -> User | None:
        if request is None:
            # Not from a client (a command, the shell): nothing to throttle.
            return super().authenticate(request, username=username, password=password, **kwargs)
        found = {}

        def check() -> bool:
            found["user"] = super(ThrottledModelBackend, self).authenticate(
                request, username=username, password=password, **kwargs
            )
            return found["user"] is not None

        try:
            throttles.login_attempt(client=client_key(request), email=username or "", check=check)
        except throttles.Throttled as throttled:
            # The form that asked says so (see users.forms); PermissionDenied
            # makes Django's authenticate() stop here and report a failure.
            request.login_throttled = throttled  # type: ignore[attr-defined]  # Read by the login view.
            raise PermissionDenied from throttled
        return found.get("user")
