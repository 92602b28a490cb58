"""``/explore``: link analysis in the browser over the public GraphQL API.

``routes()`` gives the Starlette routes to mount beside ``/graphql``; the page
itself is in ``static/`` and its drawing libraries come from npm (``explore/``).
"""

from graph_api.explore.routes import routes

__all__ = ["routes"]
