// The npm `graphql-ws` client subscribing to `alertRaised` on a live server.
//   node subscribe_alert.mjs WS_URL TOKEN KIND SECONDS
// Prints `subscribed` once the server has acknowledged the connection and the
// subscription is sent, then one JSON line per event (one write may raise several
// alerts: it listens 2 s more after each), and ends after SECONDS with none. A
// refusal prints `error <json>` or `closed <code> <reason>`.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, token, kind, seconds] = process.argv.slice(2);

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: false,
  on: {
    closed: (event) => {
      if (event.code !== 1000) console.log(`closed ${event.code} ${event.reason}`);
    },
  },
});

const query = `subscription($kind: AlertKind) { alertRaised(kind: $kind) {
  kind subject { id } explanation { nodes { id } } } }`;

const connected = await Promise.race([
  new Promise((resolve) => client.on('connected', () => resolve(true))),
  new Promise((resolve) => client.on('closed', () => resolve(false))),
]);
if (connected) {
  const events = client.iterate({ query, variables: { kind } });
  setTimeout(() => console.log('subscribed'), 200);
  let wait = Number(seconds) * 1000;
  try {
    for (;;) {
      let timer;
      const idle = new Promise((resolve) => { timer = setTimeout(() => resolve(null), wait); });
      const next = await Promise.race([events.next(), idle]);
      clearTimeout(timer);
      if (next === null || next.done) break;
      console.log(JSON.stringify(next.value));
      wait = 2000;
    }
  } catch (error) {
    console.log(`error ${JSON.stringify(error)}`);
  }
  await events.return();
}
await client.dispose();
