// Ring candidates: listed by name ("Candidate 3", or the RING entity recorded for
// them), each drawn as a box (a compound node) holding its members, with their
// sources and the entities one hop away around it.

import { Q, RING_KINDS } from "./api.js";
import { $, fmt, h } from "./dom.js";
import { entityName } from "./graph.js";

const now = () => performance.now();
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

/**
 * Rings over ``cy``. ``env``: gql, run, draw, asNode, asEdge, selectOnly, setStatus,
 * limit(), keep(), timings, nameOf(id), openEntity(id), boxes (box id -> the ring),
 * remember(step, replace) (how to draw the rings again, as of another time).
 */
export function createRings(cy, env) {
  const { gql, run, draw, asNode, asEdge, selectOnly, setStatus, limit, keep, timings, nameOf } = env;
  const rings = env.boxes;

  const ringName = (ring, i) => (ring.knownRing ? ring.knownRing.name || nameOf(ring.knownRing.id) : `Candidate ${i + 1}`);
  let ringList = [];
  let minSize = 3; // of the candidates listed

  async function findRings(size = null) {
    await run("Rings", async () => {
      minSize = size || Math.max(1, Number($("ring-min").value) || 3);
      const { rings: found } = await gql(Q.rings, { minSize, first: 20 });
      ringList = found.map((ring, i) => ({ ...ring, title: ringName(ring, i) }));
      $("rings").replaceChildren(...ringList.map((ring) => h("li", { data: { id: ring.id } },
        h("div", { class: "name", on: { click: () => drawRings([ring]) } }, ring.title),
        h("div", { class: "meta" }, `${ring.size} sellers/storefronts · ${ring.regions.join(", ") || "no region"}`),
        h("div", { class: "meta" }, `key: ${ring.keyPlayers.map((k) => entityName(k.entity)).join(", ")}`),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "draw-ring", on: { click: () => drawRings([ring]) } }, "Draw")))));
      if (!ringList.length) $("rings").append(h("li", { class: "muted" }, "No candidate of that size."));
      $("draw-all-rings").hidden = ringList.length < 2;
      setStatus("view", `${ringList.length} ring candidates`);
    });
  }

  /**
   * Draw ring candidates, each as a box (a compound node) holding its members, with
   * their sources and the entities one hop away around them; fCoSE lays the boxes out.
   */
  async function drawRings(list) {
    await run(list.length === 1 ? "Ring" : "Rings", async () => {
      const t0 = now();
      const parents = {};
      const compounds = [];
      const seeds = new Set();
      const key = [];
      const scores = {};
      for (const ring of list) {
        const box = `ring:${ring.id}`;
        rings.set(box, ring);
        compounds.push({ group: "nodes", classes: "ring-group", data: {
          id: box, compound: true, label: `${ring.title} · ${ring.size}`, fullName: ring.title,
          kind: "RING_CANDIDATE", marking: "CLEAR", size: 0, rank: 0 } });
        ring.members.forEach((m) => { parents[m.id] = box; seeds.add(m.id); });
        ring.sources.forEach((s) => seeds.add(s.id));
        ring.keyPlayers.forEach((k) => { key.push(k.entity.id); scores[k.entity.id] = k.score; seeds.add(k.entity.id); });
      }
      const { network: net } = await gql(Q.network, { seeds: [...seeds], maxHops: 1, kinds: RING_KINDS, limit: limit() });
      const t1 = now();
      draw(net.nodes.map((e) => asNode(e)), net.relations.map((r) => asEdge(r)), {
        replace: !keep(), layout: "cluster", compounds, parents, scores,
        classes: { member: Object.keys(parents), key, source: list.flatMap((r) => r.sources.map((s) => s.id)) },
      });
      const shown = {
        ids: new Set(list.map((r) => r.id)), minSize,
        members: new Set(list.flatMap((r) => r.members.map((m) => m.id))),
      };
      env.remember(() => again(shown), !keep());
      selectOnly(list.length === 1 ? [`ring:${list[0].id}`] : []);
      await frame();
      timings.rings = { api: t1 - t0, draw: now() - t1, total: now() - t0, ...timings.lastDraw };
      if (list.length === 1) {
        const ring = list[0];
        const names2 = (xs) => xs.map((x) => entityName(x)).join(", ");
        $("analysis").replaceChildren(
          h("h3", {}, `Ring ${ring.title}`),
          h("p", { class: "muted" }, `${ring.size} sellers/storefronts in ${ring.regions.join(", ") || "no region"}, `
            + "drawn in a box. Key players have a thick purple border."),
          h("h3", {}, "Key players"),
          h("ol", { class: "list" }, ring.keyPlayers.map((k) => h("li", { data: { id: k.entity.id } },
            h("span", { class: "name", on: { click: () => env.openEntity(k.entity.id) } }, entityName(k.entity)),
            h("div", { class: "meta" }, `${k.entity.kind} · betweenness ${fmt(k.score)}`)))),
          h("h3", {}, "Sources"), h("p", {}, names2(ring.sources) || "none"));
      }
      setStatus("view", `${list.length === 1 ? `Ring ${list[0].title}` : `${list.length} rings`}: `
        + `${net.nodes.length.toLocaleString()} entities`
        + (net.truncated ? `; truncated at ${limit().toLocaleString()}` : ""));
    });
  }

  /**
   * The rings drawn before, as the candidates found now (at the clock's time) have
   * them: the same candidate, or any sharing a member with them.
   */
  async function again(shown) {
    await findRings(shown.minSize);
    const match = ringList.filter((r) => shown.ids.has(r.id) || r.members.some((m) => shown.members.has(m.id)));
    if (match.length) await drawRings(match);
    else setStatus("view", "none of those ring members was in a ring candidate");
  }

  return { findRings, drawRings, list: () => ringList };
}
