// The GraphQL-over-HTTP audit suite of npm `graphql-http`, run against a live server.
//   node audit_http.mjs URL TOKEN
// Prints one JSON array: every audit with its id, name, status (ok, notice, warn,
// error) and, when it failed, the reason and the response's status and body.
import { serverAudits } from 'graphql-http';

const [url, token] = process.argv.slice(2);

// Every request carries the caller's token, as a client of this API would.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  const out = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    out.reason = result.reason;
    out.httpStatus = result.response.status;
    out.body = await result.response.text().catch(() => '');
  }
  results.push(out);
}
console.log(JSON.stringify(results));
