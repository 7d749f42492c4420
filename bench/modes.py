"""
Swap the product's mail hand-off for a benchmark mode, in whichever process
runs the services (web, Celery worker), so every stack runs the same code:

- huey:    unchanged (the product).
- celery:  the send tasks go to Celery over Redis (bench/celery_app.py).
- inline:  the mail is sent inside the request, after commit.
- nomail:  nothing is sent: the floor a signup cannot go below.

`counting=False` switches view counting off, to price it.
"""
import blog.services
import blog.tasks
import users.services
import users.tasks

MODES = ("huey", "celery", "inline", "nomail")


def apply(mode, counting=True):
    if mode == "celery":
        from bench import celery_app

        users.tasks.verification_send_task = celery_app.verification_send.delay
        blog.tasks.report_send_task = celery_app.report_send.delay
    elif mode == "inline":
        users.tasks.verification_send_task = lambda pk: users.services.verification_send(verification_id=pk)
        blog.tasks.report_send_task = lambda pk: blog.services.report_send(report_id=pk)
    elif mode == "nomail":
        users.tasks.verification_send_task = lambda pk: None
        blog.tasks.report_send_task = lambda pk: None
    elif mode != "huey":
        raise ValueError(f"unknown benchmark mode {mode!r}; one of {MODES}")
    if not counting:
        blog.services.post_view_record = lambda *, post: post.view_count
