"""GraphiQL's page and files: the page's own (``static/``) and its libraries from npm.

``page()`` is what ``GET /graphql`` answers a browser (``api.http``); ``routes()``
serves what that page loads, from this server only. The libraries are not
committed: ``npm ci --prefix graphiql`` installs them into ``graphiql/node_modules``
from ``graphiql/package-lock.json``, and only the files named in :data:`VENDOR` are
served from there.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.routing import BaseRoute

from graph_api.static_pages import StaticPage

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
PAGE = StaticPage("graphiql", STATIC, VENDOR, CSP)
_OWN = PAGE.own_files()


def modules_dir() -> Path:
    """Where ``npm ci --prefix graphiql`` put the libraries (``GRAPH_API_GRAPHIQL_MODULES``
    overrides it: an installed wheel has no ``graphiql/``)."""
    return PAGE.modules_dir()


def page() -> Response:
    """GraphiQL's page, with its Content-Security-Policy."""
    return PAGE.file(_OWN["graphiql.html"])


def routes() -> list[BaseRoute]:
    """The /graphiql/ routes (what the page loads), to add to the application's routes."""
    return PAGE.routes()
