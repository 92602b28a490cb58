"""GraphiQL's page and files: the page's own (``static/``) and its libraries from npm.

``page()`` is what ``GET /graphql`` answers a browser (``api.http``); ``routes()``
serves what that page loads, from this server only. The libraries are not
committed: ``npm ci --prefix graphiql`` installs them into ``graphiql/node_modules``
from ``graphiql/package-lock.json``, and only the files named in :data:`VENDOR` are
served from there.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["CSP", "STATIC", "VENDOR", "modules_dir", "page", "routes"]

STATIC = Path(__file__).resolve().parent / "static"

# URL name -> path under node_modules. Nothing else there is reachable.
VENDOR: dict[str, str] = {
    "react.production.min.js": "react/umd/react.production.min.js",
    "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": "graphiql/graphiql.min.js",
    "graphiql.min.css": "graphiql/graphiql.min.css",
}

# Scripts and styles from this server only, no inline script or eval; GraphiQL's
# fonts are data: URLs in its stylesheet; it talks to /graphql (HTTP, and WebSocket
# for subscriptions: 'self' covers ws: to the same host). Radix dialogs' scroll lock
# adds a <style> element, which this refuses: the dialogs work without it.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_OWN = {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in _TYPES}


def modules_dir() -> Path:
    """Where ``npm ci --prefix graphiql`` put the libraries.

    ``GRAPH_API_GRAPHIQL_MODULES`` overrides it (an installed wheel has no ``graphiql/``).
    """
    override = os.environ.get("GRAPH_API_GRAPHIQL_MODULES")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "graphiql" / "node_modules"


def page() -> Response:
    """GraphiQL's page, with its Content-Security-Policy."""
    return FileResponse(_OWN["graphiql.html"], media_type="text/html", headers=_HEADERS)


def routes() -> list[BaseRoute]:
    """The /graphiql/ routes (what the page loads), to add to the application's routes."""
    modules = modules_dir()

    async def static(request: Request) -> Response:
        path = _OWN.get(request.path_params["name"])
        if path is None:
            raise HTTPException(404)  # answered in the app's JSON envelope
        return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)

    async def vendor(request: Request) -> Response:
        name = request.path_params["name"]
        relative = VENDOR.get(name)
        if relative is None:
            raise HTTPException(404)
        path = modules / relative
        if not path.is_file():
            raise HTTPException(503, f"{relative} is not installed: run `npm ci --prefix "
                                     "graphiql` (make serve does)")
        return FileResponse(path, media_type=_TYPES[Path(name).suffix], headers=_HEADERS)

    return [
        Route("/graphiql/static/{name}", static, methods=["GET"]),
        Route("/graphiql/vendor/{name}", vendor, methods=["GET"]),
    ]
