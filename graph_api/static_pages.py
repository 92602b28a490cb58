"""A browser page served by this server alone: its own files and the npm libraries it
loads, every response under the page's Content-Security-Policy.

The /explore page and GraphiQL are two (``graph_api.explore.routes``,
``graph_api.graphiql.routes``); what differs is the folder, the libraries and the
policy. The libraries are not committed: ``npm ci --prefix NAME`` installs them into
``NAME/node_modules`` from ``NAME/package-lock.json``, and only the files a page names
in its ``vendor`` are served from there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["StaticPage"]

_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


@dataclass(frozen=True)
class StaticPage:
    """The page ``name``: its files in ``static``, its libraries (URL name -> path under
    node_modules: nothing else there is reachable) and its policy ``csp``."""

    name: str
    static: Path
    vendor: Mapping[str, str]
    csp: str

    def headers(self) -> dict[str, str]:
        return {
            "Content-Security-Policy": self.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        }

    def modules_dir(self) -> Path:
        """Where ``npm ci --prefix NAME`` put the libraries; ``GRAPH_API_NAME_MODULES``
        overrides it (an installed wheel has no ``NAME/`` folder)."""
        override = os.environ.get(f"GRAPH_API_{self.name.upper()}_MODULES")
        if override:
            return Path(override)
        return Path(__file__).resolve().parents[1] / self.name / "node_modules"

    def own_files(self) -> dict[str, Path]:
        return {p.name: p for p in self.static.iterdir() if p.is_file() and p.suffix in _TYPES}

    def file(self, path: Path) -> Response:
        return FileResponse(path, media_type=_TYPES[path.suffix], headers=self.headers())

    def routes(self) -> list[BaseRoute]:
        """``/NAME/static/{file}`` (the page's own) and ``/NAME/vendor/{file}``."""
        own = self.own_files()
        modules = self.modules_dir()

        async def static(request: Request) -> Response:
            path = own.get(request.path_params["name"])
            if path is None:
                raise HTTPException(404)  # answered in the app's JSON envelope
            return self.file(path)

        async def vendor(request: Request) -> Response:
            relative = self.vendor.get(request.path_params["name"])
            if relative is None:
                raise HTTPException(404)
            path = modules / relative
            if not path.is_file():
                raise HTTPException(503, f"{relative} is not installed: run `npm ci --prefix "
                                         f"{self.name}` (make serve does)")
            return self.file(path)

        return [
            Route(f"/{self.name}/static/{{name}}", static, methods=["GET"]),
            Route(f"/{self.name}/vendor/{{name}}", vendor, methods=["GET"]),
        ]
