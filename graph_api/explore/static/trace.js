// Trace to source: the upstream paths from an entity, drawn right to left, and its
// sources ranked as the API ranks them; a source's paths selected on request.

import { Q } from "./api.js";
import { $, chip, fmt, h } from "./dom.js";
import { entityName, nodeData } from "./graph.js";

const now = () => performance.now();
const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

/**
 * Traces over ``cy``. ``env``: gql, run, draw, asNode, asEdge, selectOnly, setStatus,
 * labels, limit(), keep(), timings, quote(id), openEntity(id), remember(step, replace)
 * (how to draw the trace again, as of another time).
 */
export function createTrace(cy, env) {
  const { gql, run, draw, asNode, asEdge, selectOnly, setStatus, labels, limit, keep, timings, quote } = env;

  async function trace(id) {
    return run("Trace", async () => {
      const t0 = now();
      const variables = {
        from: id,
        maxDepth: Math.min(8, Math.max(1, Number($("max-depth").value) || 6)),
        minConfidence: Math.min(1, Math.max(0, Number($("min-conf").value) || 0)),
      };
      const t = await traceAnswer(variables);
      const t1 = now();
      const nodes = [asNode(t.origin, "origin")];
      const edges = [];
      const scores = {};
      for (const s of t.sources) {
        nodes.push(asNode(s.entity, "source"));
        scores[s.entity.id] = s.score;
        for (const p of s.paths) {
          p.nodes.forEach((e) => nodes.push(asNode(e)));
          p.relations.forEach((r, i) => edges.push(asEdge(r, p.nodes[i].id)));
        }
      }
      draw(nodes, edges, {
        replace: !keep(), layout: "trace", scores,
        classes: { origin: [t.origin.id], source: t.sources.map((s) => s.entity.id) },
      });
      env.remember(() => trace(id), !keep());
      selectOnly([t.origin.id]); // the panel shows the origin, not what was open before
      await frame();
      const t2 = now();
      timings.trace = {
        api: t1 - t0, draw: t2 - t1, total: t2 - t0, ...timings.lastDraw,
        nodes: new Set(nodes.map((n) => n.data.id)).size,
      };
      showSources(t);
      setStatus("view", `Trace from ${quote(t.origin.id)}: ${t.sources.length} source${t.sources.length === 1 ? "" : "s"}, `
        + `${timings.trace.nodes} entities on their paths (upstream to the left)`);
    });
  }

  /**
   * traceToSource with every entity and relation filled in. Asking the trace for ids
   * only and then network(seeds, maxHops: 0) for the details is 3-4 times quicker
   * than resolving each path's elements in the trace itself, when it fits one ask.
   */
  async function traceAnswer(variables) {
    const { traceToSource: shape } = await gql(Q.traceIds, variables);
    const ids = new Set([shape.origin.id]);
    const relIds = new Set();
    shape.sources.forEach((s) => {
      ids.add(s.entity.id);
      s.paths.forEach((p) => {
        p.nodes.forEach((n) => ids.add(n.id));
        p.relations.forEach((r) => relIds.add(r.id));
      });
    });
    if (ids.size > limit()) return (await gql(Q.trace, variables)).traceToSource;
    const { network: net } = await gql(Q.network, { seeds: [...ids], maxHops: 0, limit: ids.size });
    const entity = new Map(net.nodes.map((e) => [e.id, e]));
    const relation = new Map(net.relations.filter((r) => relIds.has(r.id)).map((r) => [r.id, r]));
    if (entity.size !== ids.size || relation.size !== relIds.size) {
      // The graph changed between the two asks: take the trace whole.
      return (await gql(Q.trace, variables)).traceToSource;
    }
    return {
      origin: entity.get(shape.origin.id),
      sources: shape.sources.map((s) => ({
        score: s.score, depth: s.depth, entity: entity.get(s.entity.id),
        paths: s.paths.map((p) => ({
          confidence: p.confidence,
          nodes: p.nodes.map((n) => entity.get(n.id)),
          relations: p.relations.map((r) => relation.get(r.id)),
        })),
      })),
    };
  }

  function showSources(t) {
    const list = h("ol", { class: "list", id: "sources" });
    t.sources.forEach((s, rank) => {
      const d = nodeData(s.entity);
      list.append(h("li", { data: { id: s.entity.id } },
        h("div", {}, h("span", { class: "name" }, `${rank + 1}. ${d.fullName}`), " ", chip(d.marking)),
        h("div", { class: "meta" }, `${s.entity.kind} · score ${fmt(s.score)} · depth ${s.depth} · `
          + `${s.entity.region || "no region"}`),
        h("div", { class: "actions" },
          h("button", { type: "button", on: { click: (ev) => highlightPaths(s, ev.target.closest("li")) } },
            "Show paths"),
          h("button", { type: "button", on: { click: () => env.openEntity(s.entity.id) } }, "Open"))));
    });
    $("analysis").replaceChildren(
      h("h3", {}, `Sources of ${entityName(t.origin)}`),
      t.sources.length ? list : h("p", { class: "muted" }, "No source reached."));
  }

  /** Select a source's paths (so they can open a case), label their relations, fade the rest. */
  function highlightPaths(source, li) {
    document.querySelectorAll("#sources li").forEach((x) => x.classList.remove("active"));
    li.classList.add("active");
    const ids = new Set();
    source.paths.forEach((p) => {
      p.nodes.forEach((n) => ids.add(n.id));
      p.relations.forEach((r) => ids.add(r.id));
    });
    cy.batch(() => {
      cy.elements().removeClass("path").unselect().addClass("faded");
      const on = cy.elements().filter((el) => ids.has(el.id()));
      on.removeClass("faded").select();
      on.edges().addClass("path");
    });
    labels.refresh();
    setStatus("view", `Paths from ${quote(source.entity.id)}: ${ids.size} elements selected`);
  }

  return { trace, highlightPaths };
}
