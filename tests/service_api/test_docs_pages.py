"""/docs and /redoc work offline: their HTML references only the service's own URLs, which serve the assets."""

from __future__ import annotations

import re

import pytest

LOCAL_ASSETS = {"/docs-assets/swagger-ui-bundle.js": "text/javascript", "/docs-assets/swagger-ui.css": "text/css",
                "/docs-assets/redoc.standalone.js": "text/javascript", "/docs-assets/favicon.png": "image/png"}


def referenced_urls(html: str) -> list[str]:
    """Every src/href/url/spec-url in a docs page."""
    pairs = re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']|url: ?['"]([^'"]+)['"]""", html)
    return [a or b for a, b in pairs]


@pytest.mark.parametrize("page,expected", [
    ("/docs", {"/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/openapi.json"}),
    ("/redoc", {"/docs-assets/redoc.standalone.js", "/openapi.json"}),
])
def test_docs_pages_reference_only_local_urls(client, page, expected):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    urls = referenced_urls(r.text)
    assert expected <= set(urls), urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http://" not in r.text and "https://" not in r.text and "fonts.googleapis" not in r.text


@pytest.mark.parametrize("url,content_type", LOCAL_ASSETS.items())
def test_docs_assets_are_served_by_the_service(client, url, content_type):
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith(content_type)
    assert len(r.content) > 1000
    if url.endswith(".js"):   # the real bundles, not a placeholder
        assert ("SwaggerUIBundle" if "swagger" in url else "Redoc") in r.text[:2_000_000]


def test_the_docs_pages_are_not_api_operations(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith(("/docs", "/redoc")) for p in paths)
