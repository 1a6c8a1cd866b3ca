"""The interactive API docs (Swagger UI at /docs, ReDoc at /redoc) served with their assets from the service
itself, so that they work offline: the JavaScript and CSS come from the `fastapi-offline` distribution."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSET_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png")


def assets_directory() -> str:
    """The folder of Swagger UI and ReDoc files shipped by `fastapi-offline`."""
    return str(files("fastapi_offline") / "static")


def install_docs_pages(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve /docs, its OAuth2 redirect page, /redoc and their assets (create the app with docs_url=None)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_directory()), name="docs-assets")
    redirect_url = app.swagger_ui_oauth2_redirect_url or f"{docs_url}/oauth2-redirect"

    def urls(request: Request) -> dict[str, str]:
        """The spec URL and one URL per asset file, under the app's root path."""
        root = request.scope.get("root_path", "")
        return {"spec": f"{root}{app.openapi_url}", "redirect": f"{root}{redirect_url}",
                **{name: f"{root}{ASSETS_URL}/{name}" for name in ASSET_FILES}}

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        u = urls(request)
        return get_swagger_ui_html(openapi_url=u["spec"], title=f"{app.title} - Swagger UI",
                                   oauth2_redirect_url=u["redirect"], swagger_js_url=u["swagger-ui-bundle.js"],
                                   swagger_css_url=u["swagger-ui.css"], swagger_favicon_url=u["favicon.png"],
                                   swagger_ui_parameters=app.swagger_ui_parameters)

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        u = urls(request)
        return get_redoc_html(openapi_url=u["spec"], title=f"{app.title} - ReDoc",
                              redoc_js_url=u["redoc.standalone.js"], redoc_favicon_url=u["favicon.png"],
                              with_google_fonts=False)
