"""Table rows and the small words every section of docs/benchmarks.md uses."""


def row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def rerun(section):
    """A section merged in from a later run says so: its figures compare within it, not with the others."""
    if "rerun" not in section:
        return []
    return [
        f"Rerun alone on {section['rerun']} (`python -m bench.run --only ... --merge`): compare its rows with "
        "each other, not with other sections.",
        "",
    ]


def target(ok):
    return "met" if ok else "**missed**"
