"""gunicorn's configuration says loudly when the site is exposed with no buffering proxy in front."""

import runpy
from pathlib import Path

CONF = runpy.run_path(str(Path(__file__).resolve().parents[2] / "site" / "gunicorn.conf.py"))
warning = CONF["direct_exposure_warning"]


def test_loopback_and_sockets_are_quiet():
    for binds in (["127.0.0.1:8000"], ["localhost:8000"], ["[::1]:8000"], ["unix:/run/qp.sock"], ["fd://3"]):
        assert warning(binds, False) is None, binds


def test_a_public_address_without_a_proxy_is_called_unsupported():
    said = warning(["0.0.0.0:8000"], False)
    assert "unsupported" in said and "0.0.0.0:8000" in said and "Caddy" in said
    assert warning(["0.0.0.0:8000"], True) is None  # Behind the proxy, as the deploy block sets it up.
