"""
Run every benchmark and write docs/benchmarks.md and docs/benchmarks.json.

    .venv/bin/python -m bench.run                 # what `make bench` runs
    .venv/bin/python -m bench.run --only signup   # one section, printed, nothing written
    .venv/bin/python -m bench.run --only peers --merge   # one section, merged into the written results
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import (
    contention,
    environment,
    fan_out,
    federation,
    import_scale,
    pages_scale,
    peers,
    pictures,
    planning,
    report_scale,
    search_scale,
    signup,
    throughput,
    views,
    year,
)
from bench.markdown import write_markdown
from bench.stacks import Stack, cpu_seconds, footprint
from harness.live import SmtpServer, collectstatic
from harness.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "signup",
    "latency",
    "footprint",
    "throughput",
    "views",
    "report",
    "fan_out",
    "peers",
    "year",
    "rendering",
    "contention",
    "pages",
    "planning",
    "search",
    "import",
    "pictures",
    "fediverse",
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run just these sections; write nothing")
    parser.add_argument("--signups", type=int, default=30, help="signups per response-time sample")
    parser.add_argument("--authors", type=int, default=10_000, help="authors in the report-at-scale run")
    parser.add_argument(
        "--merge", action="store_true", help="with --only: put these sections into docs/benchmarks.json and rewrite"
    )
    parser.add_argument(
        "--rewrite", action="store_true", help="only rewrite docs/benchmarks.md from docs/benchmarks.json"
    )
    args = parser.parse_args()
    if args.rewrite:
        write_markdown(json.loads((ROOT / "docs" / "benchmarks.json").read_text()), ROOT / "docs" / "benchmarks.md")
        return
    sections = args.only or SECTIONS
    results = {"environment": environment.describe(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    with tempfile.TemporaryDirectory(prefix="qp-bench-") as tmp, PostgresServer() as postgres:
        tmp = Path(tmp)
        static_root = tmp / "static"
        collectstatic(static_root)
        counter = iter(range(1000))

        def make_stack(kind, **kw):
            return lambda smtp: Stack(kind, tmp / f"stack{next(counter)}", smtp.port, static_root, **kw)

        if "signup" in sections:
            rows = {"nomail": signup.response_times(make_stack("nomail"), 0.0, args.signups)}
            for kind in ("inline", "huey", "celery"):
                for delay in (0.0, 1.0):
                    rows[f"{kind}@{delay:g}s"] = signup.response_times(make_stack(kind), delay, args.signups)
                    print(kind, delay, rows[f"{kind}@{delay:g}s"], flush=True)
            results["signup"] = {"rows": rows, "hashing": environment.password_hashing()}
        if "latency" in sections:
            results["latency"] = {kind: signup.inbox_latency(make_stack(kind), 20, 200) for kind in ("huey", "celery")}
            results["latency"]["huey_max_delay_1s"] = signup.inbox_latency(
                make_stack("huey", HUEY_MAX_DELAY="1.0"), 20, 0
            )
            results["latency"]["huey_postgres"] = signup.inbox_latency(
                make_stack("huey", database_url=postgres.create("bench_latency")), 20, 200
            )
            results["latency"]["idle_cpu"] = idle_cpu_section(make_stack)
            print(results["latency"], flush=True)
        if "footprint" in sections:
            results["footprint"] = footprint_section(make_stack)
            print(results["footprint"], flush=True)
        if "throughput" in sections:
            results["throughput"] = throughput.run(tmp / "throughput", postgres)
            print(results["throughput"], flush=True)
        if "views" in sections:
            results["views"] = views.run(tmp / "views", static_root)
            print(results["views"], flush=True)
        if "report" in sections:
            results["report"] = report_scale.run(tmp / "report", static_root, authors=args.authors)
            print(results["report"], flush=True)
        if "fan_out" in sections:
            results["fan_out"] = fan_out.run(tmp / "fan_out", static_root)
        if "peers" in sections:
            results["peers"] = {**peers.run(tmp / "peers", static_root), "started": time.strftime("%Y-%m-%d %H:%M")}
        if "year" in sections:
            results["year"] = year.run()
            print(results["year"], flush=True)
        if "rendering" in sections:
            # In a process of its own: it sets Django up, as this one does not.
            out = tmp / "lexers.json"
            subprocess.run([sys.executable, "-m", "bench.lexers", "--json", str(out)], cwd=ROOT, check=True)
            results["rendering"] = json.loads(out.read_text())
        if "contention" in sections:
            results["contention"] = contention.run(tmp / "contention", static_root)
        if "pages" in sections:
            results["pages"] = pages_scale.run(tmp / "pages", static_root, postgres=postgres)
        if "planning" in sections:
            results["planning"] = planning.run(100_000)
        if "search" in sections:
            results["search"] = search_scale.run(tmp / "search", static_root, postgres=postgres)
        if "import" in sections:
            results["import"] = import_scale.run(10_000)
        if "pictures" in sections:
            results["pictures"] = pictures.run(tmp / "pictures", static_root)
        if "fediverse" in sections:
            results["fediverse"] = federation.run(tmp / "fediverse", static_root)
    if args.only and args.merge:
        # Sections keep their own start time in the document, so a merged one says when it ran.
        merged = json.loads((ROOT / "docs" / "benchmarks.json").read_text())
        merged.update({name: {**results[name], "rerun": results["started"]} for name in sections})
        (ROOT / "docs" / "benchmarks.json").write_text(json.dumps(merged, indent=2, default=str) + "\n")
        write_markdown(merged, ROOT / "docs" / "benchmarks.md")
        print("Merged", ", ".join(sections), "into docs/benchmarks.md and docs/benchmarks.json")
        return
    if args.only:
        print(json.dumps(results, indent=2, default=str))
        return
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    write_markdown(results, ROOT / "docs" / "benchmarks.md")
    print("Wrote docs/benchmarks.md and docs/benchmarks.json")


def idle_cpu_section(make_stack, seconds=60):
    """CPU seconds a minute of an idle consumer, polling every 1 s (as before) and every 0.1 s (now)."""
    result = {}
    for label, max_delay in (("max_delay_1s", "1.0"), ("max_delay_0.1s", "0.1")):
        with SmtpServer() as smtp, make_stack("huey", HUEY_MAX_DELAY=max_delay)(smtp) as stack:
            pid = stack.services()["consumer"]
            time.sleep(5)  # Past start-up.
            before = cpu_seconds(pid)
            time.sleep(seconds)
            result[label] = round((cpu_seconds(pid) - before) * 60 / seconds, 2)
    return result


def footprint_section(make_stack):
    result = {}
    for kind in ("huey", "celery"):
        with SmtpServer() as smtp, make_stack(kind)(smtp) as stack:
            run = signup.Signups(stack, "f")
            for _ in range(10):  # Warm: every process has done real work.
                run.one()
            time.sleep(2)
            result[kind] = footprint(stack)
    result["install"] = environment.install_sizes()
    return result


if __name__ == "__main__":
    main()
