"""Security findings that only real processes show: gunicorn's own trust, slow clients, every login path."""

import socket
import stat
import threading
import time

import pytest

from harness.live import Client, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.parametrize(("behind_proxy", "forged_status"), [("0", 301), ("1", 200)])
def test_gunicorn_trusts_forwarded_proto_only_behind_the_proxy(make_live_site, behind_proxy, forged_status):
    site = make_live_site(consumer=False, SITE_URL="https://localhost", DJANGO_BEHIND_PROXY=behind_proxy)
    client = Client(site.url)
    assert client.get("/")[0] == 301  # Plain HTTP goes to HTTPS.
    # A client on loopback (as anything on the box is) claims TLS. Without a
    # proxy nobody may vouch for the scheme; behind it, only the proxy does.
    assert client.get("/", headers={"X-Forwarded-Proto": "https"})[0] == forged_status


@pytest.mark.sqlite_only  # PostgreSQL keeps its files itself.
def test_the_live_database_and_queue_are_private(make_live_site, smtp):
    site = make_live_site()
    Client(site.url).post_form(
        "/accounts/signup/", {"email": "a@x.org", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"}
    )
    wait_for(lambda: smtp.inbox.to("a@x.org"), 20, message="the verification mail")
    files = [path for path in site.data_dir.iterdir() if path.name.startswith(("db.sqlite3", "huey.sqlite3"))]
    assert {path.name for path in files} >= {"db.sqlite3", "huey.sqlite3"}
    # Password hashes and session keys: readable by the site's own user only.
    assert {path.name: oct(stat.S_IMODE(path.stat().st_mode) & 0o077) for path in files} == {
        path.name: "0o0" for path in files
    }


@pytest.mark.sqlite_only
def test_an_old_world_readable_database_is_made_private_at_start(make_live_site, tmp_path):
    site = make_live_site(consumer=False)
    site.stop_all()
    (site.data_dir / "db.sqlite3").chmod(0o644)
    site.start_web()
    assert stat.S_IMODE((site.data_dir / "db.sqlite3").stat().st_mode) == 0o600


def test_slow_clients_cannot_take_the_site_down(make_live_site):
    site = make_live_site(consumer=False, WEB_CONCURRENCY="3")  # The product's default.
    host, port = site.url.removeprefix("http://").split(":")
    stop = threading.Event()

    login = Client(site.url)
    login.get("/accounts/login/")
    cookie = next(c.value for c in login.cookies if c.name == "csrftoken")

    def slow_post():
        # A POST whose body trickles in a byte at a time. With a CSRF cookie
        # the site must read the body for the token: it pins whatever reads it.
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Cookie: csrftoken=" + cookie.encode() + b"\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
            )
            while not stop.wait(1):
                try:
                    sock.sendall(b"a")
                except OSError:
                    return

    slow = [threading.Thread(target=slow_post) for _ in range(3)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2)  # Every slow client is being read by now.
        started = time.monotonic()
        status, _, _ = Client(site.url).get("/", timeout=10)
        assert status == 200, "the home page did not answer while three slow clients were connected"
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        for thread in slow:
            thread.join()


def test_concurrent_wrong_logins_on_gunicorn_are_judged_at_most_the_limit(make_live_site):
    site = make_live_site(consumer=False, WEB_CONCURRENCY="3")
    site.shell(
        "from users.models import User; "
        "User.objects.create_superuser(email='boss@x.org', password='the-right-passphrase-1')"
    )
    clients = [Client(site.url) for _ in range(40)]
    tokens = [client.csrf_token("/accounts/login/") for client in clients]
    start, statuses = threading.Barrier(len(clients)), []

    def guess(client, token):
        start.wait()
        fields = {"csrfmiddlewaretoken": token, "username": "boss@x.org", "password": "wrong"}
        statuses.append(client.request("/accounts/login/", fields)[0])

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 200 is a judged wrong password; 429 was refused before the password was looked at.
    assert sorted(set(statuses)) == [200, 429]
    assert statuses.count(200) <= 10
    # The admin's login is the same door: the right password is refused from here now.
    admin = Client(site.url)
    status, _, page = admin.post_form("/admin/login/", {"username": "boss@x.org", "password": "the-right-passphrase-1"})
    assert status == 200 and "Too many failed attempts" in page


def test_under_attack_concurrent_guesses_from_a_new_client_get_one_judgement(make_live_site):
    site = make_live_site(consumer=False, WEB_CONCURRENCY="3", DJANGO_BEHIND_PROXY="1")
    site.shell(
        "from users.models import User; "
        "User.objects.create_user(email='owner@x.org', password='the-right-passphrase-1', is_verified=True)"
    )

    def client(address):
        return Client(site.url, headers={"X-Forwarded-For": address})

    def guess(one, token, statuses=None):
        fields = {"csrfmiddlewaretoken": token, "username": "owner@x.org", "password": "wrong"}
        status = one.request("/accounts/login/", fields)[0]
        if statuses is not None:
            statuses.append(status)
        return status

    for n in range(10):  # The account comes under attack from ten addresses.
        stranger = client(f"203.0.113.{n}")
        assert guess(stranger, stranger.csrf_token("/accounts/login/")) == 200
    newcomer, statuses = [client("192.0.2.9") for _ in range(20)], []
    tokens = [one.csrf_token("/accounts/login/") for one in newcomer]
    start = threading.Barrier(len(newcomer))

    def racing(one, token):
        start.wait()
        guess(one, token, statuses)

    threads = [threading.Thread(target=racing, args=pair) for pair in zip(newcomer, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) <= 1 and statuses.count(429) >= 19


def test_by_default_no_log_pairs_a_reader_with_what_they_read(make_live_site):
    site = make_live_site(consumer=False)
    site.manage("seed_demo", "-v0")
    slug = site.db("select slug from blog_post order by id limit 1")[0][0]
    assert Client(site.url).get(f"/posts/{slug}/")[0] == 200
    web = site.log("web")
    assert f"/posts/{slug}/" not in web and "Firefox" not in web


def test_two_sites_on_one_box_each_keep_their_own_gunicorn_control_socket(make_live_site):
    first = make_live_site(consumer=False)
    second = make_live_site(consumer=False)
    for site in (first, second):
        control = site.data_dir / "gunicorn.ctl"
        # gunicorn opens it just after it starts answering.
        wait_for(control.is_socket, 15, message=f"{control}; log:\n{site.log('web')}")
        assert control.stat().st_mode & 0o077 == 0  # The site's user's alone, like the rest of DATA_DIR.
