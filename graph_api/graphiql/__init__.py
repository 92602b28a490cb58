"""GraphiQL on ``GET /graphql`` (a browser's, ``Accept: text/html``), with no CDN.

React, ReactDOM and GraphiQL come from the npm registry (``graphiql/package.json``
and its lock file, installed by ``npm ci --prefix graphiql``) and are served by the
app under ``/graphiql/vendor/``, so GraphiQL works on a closed network.
"""

from graph_api.graphiql.routes import CSP, VENDOR, modules_dir, page, routes

__all__ = ["CSP", "VENDOR", "modules_dir", "page", "routes"]
