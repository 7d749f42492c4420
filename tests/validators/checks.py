"""
The external validators `make test` runs on real pages, feeds and mails:
the Nu Html Checker (vnu.jar, installed by `make validators`), axe-core
(vendored: axe.min.js, run in Chromium through Playwright), RFC 4287's
RELAX NG schema for Atom (lxml) and feedparser.
"""

import json
import shutil
import subprocess
from pathlib import Path

import feedparser
from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VNU_JAR = ROOT / ".venv" / "validators" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = HERE / "axe.min.js"
ATOM = "{http://www.w3.org/2005/Atom}"
SERIOUS = {"serious", "critical"}


def nu_errors(folder: Path) -> list[str]:
    """Every error the Nu Html Checker finds in the .html files of a folder, as "file:line: message"."""
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: `make validators` (part of `make test`) installs it"
    java = shutil.which("java")
    assert java, "the Nu Html Checker needs Java: `make validators` installs Debian's default-jre-headless"
    files = sorted(str(path) for path in folder.glob("*.html"))
    assert files, f"no pages in {folder}"
    done = subprocess.run(
        [java, "-Xss8m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *files],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(done.stderr or done.stdout)
    return [
        f"{Path(message.get('url', '?')).name}:{message.get('lastLine', '?')}: {message['message']}"
        f" [{message.get('extract', '').strip()}]"
        for message in report["messages"]
        if message["type"] in {"error", "non-document-error"}
    ]


def axe_load(context) -> None:
    """axe-core in every page the browser context opens (as the DevTools do: the site's CSP stays on)."""
    context.add_init_script(path=str(AXE))


def axe_findings(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands (axe_load first), one line each."""
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}"
        for violation in violations
        if violation["impact"] in SERIOUS
        for node in violation["nodes"]
    ]


_ATOM_SCHEMA = None


def atom_errors(content: bytes) -> list[str]:
    """RFC 4287: the RELAX NG schema, then its two Schematron rules (which RELAX NG cannot say)."""
    global _ATOM_SCHEMA
    _ATOM_SCHEMA = _ATOM_SCHEMA or etree.RelaxNG(etree.parse(str(HERE / "atom.rng")))
    root = etree.fromstring(content)
    errors = [] if _ATOM_SCHEMA.validate(root) else [str(error) for error in _ATOM_SCHEMA.error_log]
    feed_has_author = root.find(f"{ATOM}author") is not None
    for entry in root.iter(f"{ATOM}entry"):
        if not (feed_has_author or entry.find(f"{ATOM}author") is not None):
            errors.append("an entry without an author in a feed without one")
        alternate = [link for link in entry.iter(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        if not alternate and entry.find(f"{ATOM}content") is None:
            errors.append("an entry with neither an alternate link nor content")
    return errors


def feedparser_errors(content: bytes) -> list[str]:
    parsed = feedparser.parse(content)
    return [repr(parsed.get("bozo_exception"))] if parsed.bozo else []
