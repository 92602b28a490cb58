"""Routes of the /explore page: its own static files and the browser libraries from npm.

The page is static: it talks to the server only through ``POST /graphql`` with the
user's bearer token, so it can show nothing the API would not answer that caller.
The graph-drawing libraries are not committed: ``npm ci --prefix explore`` installs
them into ``explore/node_modules`` from ``explore/package-lock.json``, and only the
files named in :data:`VENDOR` are served from there.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

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
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


def modules_dir() -> Path:
    """Where ``npm ci --prefix explore`` put the libraries.

    ``GRAPH_API_EXPLORE_MODULES`` overrides it (an installed wheel has no ``explore/``).
    """
    override = os.environ.get("GRAPH_API_EXPLORE_MODULES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "explore" / "node_modules"


def _own_files() -> dict[str, Path]:
    return {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in _TYPES}


def routes() -> list[BaseRoute]:
    """The /explore routes, to add to the application's route list."""
    own = _own_files()
    modules = modules_dir()

    async def page(request: Request) -> Response:
        return FileResponse(own["index.html"], media_type="text/html", headers=_HEADERS)

    async def slash(request: Request) -> Response:
        return RedirectResponse("/explore", status_code=308)

    async def static(request: Request) -> Response:
        path = own.get(request.path_params["name"])
        if path is None:
            raise HTTPException(404)  # answered in the app's JSON envelope
        return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)

    async def vendor(request: Request) -> Response:
        relative = VENDOR.get(request.path_params["name"])
        if relative is None:
            raise HTTPException(404)
        path = modules / relative
        if not path.is_file():
            raise HTTPException(503, f"{relative} is not installed: run `npm ci --prefix "
                                     "explore` (make serve does)")
        return FileResponse(path, media_type="text/javascript", headers=_HEADERS)

    return [
        Route("/explore", page, methods=["GET"]),
        Route("/explore/", slash, methods=["GET"]),
        Route("/explore/static/{name}", static, methods=["GET"]),
        Route("/explore/vendor/{name}", vendor, methods=["GET"]),
    ]
