"""TAXII 2.1 and a change stream over the caller's view (issue 23).

``/taxii2/`` serves the collections of ``taxii.collections`` through
``taxii.routes``; ``/stream`` the Server-Sent Events of ``taxii.stream``. Both read
one feed per view (``taxii.feed``) folded from the store's change log
(``graph_api.store.events``), and the STIX mapping of ``export.stix_mapping``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from graph_api.services import Services
from graph_api.taxii.feed import Feeds
from graph_api.taxii.routes import TaxiiRoutes
from graph_api.taxii.stream import Stream
from graph_api.taxii.submissions import Submitter

__all__ = ["taxii_routes"]


def taxii_routes(services: Services) -> list[BaseRoute]:
    """The routes to mount: ``/taxii2/...`` and ``/stream``."""
    feeds = Feeds()
    routes = TaxiiRoutes(services, feeds, Submitter(services, feeds)).routes()
    return [*routes, Route("/stream", Stream(services, feeds).handle)]
