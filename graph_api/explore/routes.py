"""Routes of the /explore page: its own static files and the browser libraries from npm.

The page is static: it talks to the server only through ``POST /graphql`` with the
user's bearer token, so it can show nothing the API would not answer that caller.
The graph-drawing libraries are not committed: ``npm ci --prefix explore`` installs
them into ``explore/node_modules`` from ``explore/package-lock.json``, and only the
files named in :data:`VENDOR` are served from there.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from graph_api.static_pages import StaticPage

__all__ = ["CSP", "STATIC", "VENDOR", "modules_dir", "routes"]

STATIC = Path(__file__).resolve().parent / "static"

# URL name -> path under node_modules. Nothing else there is reachable.
VENDOR: dict[str, str] = {
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "cytoscape-dagre.min.js": "cytoscape-dagre/dist/cytoscape-dagre.min.js",
    "layout-base.js": "layout-base/layout-base.js",
    "cose-base.js": "cose-base/cose-base.js",
    "cytoscape-fcose.js": "cytoscape-fcose/cytoscape-fcose.js",
    "cytoscape-svg.js": "cytoscape-svg/cytoscape-svg.js",
}

# The page runs only its own scripts; nothing may frame it or send it elsewhere.
# Cytoscape sets element styles from script (allowed); data: and blob: images are
# its PNG export.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PAGE = StaticPage("explore", STATIC, VENDOR, CSP)


def modules_dir() -> Path:
    """Where ``npm ci --prefix explore`` put the libraries (``GRAPH_API_EXPLORE_MODULES``
    overrides it: an installed wheel has no ``explore/``)."""
    return PAGE.modules_dir()


def routes() -> list[BaseRoute]:
    """The /explore routes, to add to the application's route list."""
    own = PAGE.own_files()

    async def page(request: Request) -> Response:
        return PAGE.file(own["index.html"])

    async def slash(request: Request) -> Response:
        return RedirectResponse("/explore", status_code=308)

    return [
        Route("/explore", page, methods=["GET"]),
        Route("/explore/", slash, methods=["GET"]),
        *PAGE.routes(),
    ]
