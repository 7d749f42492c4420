"""Section 14: pictures, from a 24-megapixel upload to its variants."""

from bench.markdown.common import rerun, row


def pictures_lines(r):
    lines = [
        "## 14. Pictures: a 24-megapixel photo, from upload to its variants",
        "",
        *rerun(r),
        f"`python -m bench.pictures`: {r['uploads']} camera-sized JPEGs (6000×4000, {r['photo_mb']} MB) uploaded one",
        "after another to gunicorn (one worker) as the Write page's script sends them, with run_huey beside it. The",
        "web worker cleans each (decoded at half size in Pillow's draft mode, turned upright, stripped, scaled to",
        "2,400 px); the consumer makes WebP and JPEG copies at 480, 960 and 1,600 px. Ready: the 1,600 px WebP is",
        f"served. Then {r['backlog']} arrive while no consumer runs, and one consumer works through them.",
        "",
        row("measure", "value"),
        row("---", "---:"),
        row("upload answered, p50 / max", f"{r['upload_answer_ms_p50']} / {r['upload_answer_ms_max']} ms"),
        row("upload to variants ready, p50 / max", f"{r['ready_ms_p50']} / {r['ready_ms_max']} ms"),
        row(
            "one consumer through a backlog",
            f"{r['pictures_per_second']} pictures/s ({r['variant_files_per_second']} files/s, "
            f"{r['files_per_picture']} a picture)",
        ),
        row(
            "web worker peak memory (VmHWM), before / after the uploads",
            f"{r['web_worker_peak_mib_before']} / {r['web_worker_peak_mib']} MiB",
        ),
        row("consumer peak memory (VmHWM)", f"{r['consumer_peak_mib']} MiB"),
        "",
        "Decoded whole, one such photo is 72 MB of pixels; in draft mode the worker decodes 18 MB. The consumer",
        "makes its copies from the kept 2,400 px picture, never from the camera's original.",
    ]
    return [*lines, ""]
