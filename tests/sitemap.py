"""Reading the sitemap as a search engine does: the index, then every file it names."""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_files(client) -> list[str]:
    """The paths (with ?p=) of the files the index names."""
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and index["Content-Type"] == "application/xml"
    root = ET.fromstring(index.content)
    assert root.tag == f"{NS}sitemapindex"
    return [urlsplit(loc.text)._replace(scheme="", netloc="").geturl() for loc in root.iter(f"{NS}loc")]


def sitemap_locs(client) -> list[str]:
    """Every address in every file, in order."""
    locs = []
    for path in sitemap_files(client):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        locs += [loc.text for loc in ET.fromstring(body).iter(f"{NS}loc")]
    return locs
