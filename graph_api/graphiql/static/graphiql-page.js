// GraphiQL for graph_api: everything it needs is served by this server (no CDN).
// The token goes in the Headers tab as {"Authorization": "Bearer gapi_..."}. It is
// never written to the browser's storage: headers are not persisted, and the history
// GraphiQL keeps in localStorage is written with every credential cut out.
/* global React, ReactDOM, GraphiQL */
(function start() {
  const NAMESPACE = "graphiql:";
  const redact = (value) => String(value)
    .replace(/(Bearer\s+)[^\s"\\]+/gi, "$1")
    .replace(/gapi_[A-Za-z0-9_-]+/g, "");
  // GraphiQL's Storage (getItem, setItem, removeItem, clear, length) over localStorage.
  const storage = {
    getItem: (key) => localStorage.getItem(key),
    setItem: (key, value) => localStorage.setItem(key, redact(value)),
    removeItem: (key) => localStorage.removeItem(key),
    clear: () => Object.keys(localStorage).filter((k) => k.startsWith(NAMESPACE))
      .forEach((k) => localStorage.removeItem(k)),
    get length() {
      return Object.keys(localStorage).filter((k) => k.startsWith(NAMESPACE)).length;
    },
  };

  const root = document.getElementById("graphiql");
  const missing = ["React", "ReactDOM", "GraphiQL"].filter((name) => !(name in window));
  if (missing.length) {
    const p = document.createElement("p");
    p.className = "graphiql-missing";
    p.append(`GraphiQL's files are not installed on this server (${missing.join(", ")} `
      + "missing). Run ");
    const code = document.createElement("code");
    code.textContent = "npm ci --prefix graphiql";
    p.append(code, " (make serve does), then reload.");
    root.replaceChildren(p);
    return;
  }
  const url = new URL(document.body.dataset.graphql || "/graphql", window.location.href);
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  // Over a WebSocket the headers become connection_init's payload, which the server
  // reads for {"Authorization": "Bearer ..."} (graph_api/api/websocket.py).
  const fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });

  const defaultQuery = `# graph_api. Put your token in Headers below:
#   {"Authorization": "Bearer gapi_..."}
# then run (Ctrl-Enter or the play button).
# The schema: Docs (top left), or /schema.graphql
{
  me {
    id
    role
    org { id name type }
  }
}
`;
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    defaultHeaders: '{\n  "Authorization": "Bearer "\n}',
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    storage,
    inputValueDeprecation: true,
  }));
}());
