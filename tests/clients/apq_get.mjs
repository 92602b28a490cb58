// Apollo Client's automatic persisted queries against a live server, hashed queries by GET
// (PersistedQueryLink with useGETForHashedQueries, as docs/limits.md shows it).
//   node apq_get.mjs URL TOKEN ID TIMES
// Asks one traceToSource query TIMES times (network-only: each one goes to the server)
// and prints one JSON line per time: every HTTP request the link made (method, whether
// it carried the document and the hash, status, Cache-Control), and the data or the
// error the client got. Then a line {"document": ...}: the text Apollo hashed and sent.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createHash } from 'node:crypto';

const [url, token, id, times] = process.argv.slice(2);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

const requests = [];
let document = null;
async function recordingFetch(input, init = {}) {
  const address = new URL(typeof input === 'string' ? input : input.url);
  const body = typeof init.body === 'string' ? JSON.parse(init.body) : {};
  const extensions = body.extensions
    ?? JSON.parse(address.searchParams.get('extensions') ?? 'null');
  const query = body.query ?? address.searchParams.get('query');
  if (query) document = query;
  const response = await fetch(input, init);
  requests.push({
    method: init.method ?? 'GET',
    query: Boolean(query),
    hash: extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
    cacheControl: response.headers.get('cache-control'),
  });
  return response;
}

const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, headers: { Authorization: `Bearer ${token}` },
                   fetch: recordingFetch })),
});

const query = gql`query Trace($id: ID!) {
  traceToSource(from: $id) { origin { id } sources { entity { id kind } score } }
}`;

for (let n = 0; n < Number(times); n++) {
  let data = null;
  let error = null;
  try {
    ({ data } = await client.query({ query, variables: { id }, fetchPolicy: 'network-only' }));
  } catch (caught) {
    error = { message: caught.message, codes: (caught.errors ?? []).map((e) => e.extensions?.code) };
  }
  console.log(JSON.stringify({ requests: requests.splice(0), data, error }));
}
console.log(JSON.stringify({ document, sha256: document && sha256(document) }));
