// Plan a raid (issue 25): pick a brand and a budget, see the interdiction plan's
// picks highlighted on their supply network, then toggle nodes in and out of the
// removal set to see, without writing anything, what a cut would do.

import { Q } from "./api.js";
import { $, chip, h } from "./dom.js";
import { nodeData } from "./graph.js";

const SUPPLY = ["SHIPS_FROM", "SUPPLIED_BY", "LISTS"];
const pct = (x) => `${(100 * x).toFixed(1)} %`;

/**
 * The Plan panel over ``cy``. ``env``: gql, run, setStatus, draw, asNode, asEdge,
 * labels, names, quote(id), selectOnly(ids), remember(step, replace) (how to draw the
 * plan again, as of another time).
 */
export function createPlan(cy, env) {
  let available = false;
  let plan = null; // { brand, steps, ... } of the last plan
  const removed = new Set();

  /** Show the panel only when the API serves the fields (docs/schema.graphql). */
  async function start() {
    let fields = [];
    try {
      const t = (await env.gql(`{ __type(name: "Query") { fields { name } } }`)).__type;
      fields = t ? t.fields.map((f) => f.name) : [];
    } catch {
      fields = [];
    }
    available = ["interdictionPlan", "simulateInterdiction"].every((f) => fields.includes(f));
    $("plan-box").hidden = !available;
    if (!available) return;
    const { entities } = await env.gql(Q.brands);
    entities.edges.forEach(({ node }) => env.names.set(node.id, node.name || node.id));
    $("plan-brand").replaceChildren(h("option", { value: "" }, "every brand"),
      ...entities.edges.map(({ node }) => h("option", { value: node.id }, node.name || node.id)));
  }

  const depth = () => Math.min(8, Math.max(1, Number($("max-depth").value) || 6));
  const brand = () => $("plan-brand").value || null;

  /** The plan for the form's brand and budget (``given``: those of an earlier plan). */
  async function makePlan(ev, given = null) {
    if (ev) ev.preventDefault();
    await env.run("Plan", async () => {
      const budget = given ? given.budget : Math.min(100, Math.max(1, Number($("plan-budget").value) || 2));
      const b = given ? given.brand : brand();
      const { interdictionPlan: p } = await env.gql(Q.plan, { brand: b, budget, maxDepth: depth() });
      plan = { ...p, brand: b };
      env.remember(() => makePlan(null, { brand: b, budget }), true);
      removed.clear();
      p.steps.forEach((s) => removed.add(s.entity.id));
      const picks = p.steps.map((s) => s.entity.id);
      if (picks.length) {
        // The picks' supply network: what ships from them, what they are supplied by,
        // and the storefronts listing what they feed, two hops out.
        const { network } = await env.gql(Q.network, {
          seeds: picks, maxHops: 2, kinds: SUPPLY, limit: 600,
        });
        env.draw(network.nodes.map((e) => env.asNode(e)), network.relations.map((r) => env.asEdge(r)), {
          replace: true, layout: "cluster", classes: { plan: picks },
          scores: Object.fromEntries(p.steps.map((s, i) => [s.entity.id, s.cutAfter - (i ? p.steps[i - 1].cutAfter : 0)])),
        });
      }
      await simulate();
      env.setStatus("view", `Plan for ${b ? env.quote(b) : "every brand"}, budget ${budget}: `
        + `${picks.map((id) => env.quote(id)).join(", ") || "nothing to pick"} cut ${p.cut} of `
        + `${p.listingsConsidered} listings`);
    });
  }

  /** What removing ``removed`` would cut: drawn nodes marked, numbers listed. */
  async function simulate() {
    const ids = [...removed];
    const { simulateInterdiction: s } = ids.length
      ? await env.gql(Q.simulate, { remove: ids, brand: plan ? plan.brand : brand(), maxDepth: depth() })
      : { simulateInterdiction: null };
    const cut = new Set(s ? [...s.listingsCut, ...s.storefrontsCut].map((e) => e.id) : []);
    cy.batch(() => {
      cy.nodes().removeClass("removed").removeClass("cut");
      ids.forEach((id) => cy.getElementById(id).addClass("removed"));
      cut.forEach((id) => cy.getElementById(id).addClass("cut"));
    });
    render(s);
  }

  function render(s) {
    const steps = plan ? plan.steps : [];
    const list = h("ol", { class: "list", id: "plan-steps" }, steps.map((step, i) => {
      const d = nodeData(step.entity);
      const gain = step.cutAfter - (i ? steps[i - 1].cutAfter : 0);
      const box = h("input", { type: "checkbox", class: "plan-toggle", "aria-label": `remove ${d.fullName}` });
      box.checked = removed.has(step.entity.id);
      box.addEventListener("change", () => toggle(step.entity.id));
      return h("li", { data: { id: step.entity.id } },
        h("label", { class: "toggle" }, box, h("span", { class: "name" }, `${i + 1}. ${d.fullName}`)),
        " ", chip(d.marking),
        h("div", { class: "meta" }, `${step.entity.kind} · ${step.entity.region || "no region"} · `
          + `cuts ${gain} more (${step.cutAfter} in all)`));
    }));
    const extra = [...removed].filter((id) => !steps.some((st) => st.entity.id === id));
    const rows = s ? s.hotspotsBefore.map((b) => {
      const a = s.hotspotsAfter.find((x) => x.region === b.region);
      return h("tr", {}, h("td", {}, b.region), h("td", {}, pct(b.share)), h("td", {}, a ? pct(a.share) : "0.0 %"));
    }) : [];
    $("analysis").replaceChildren(
      h("h3", {}, "Interdiction plan"),
      plan ? h("p", { class: "muted" }, `${plan.listingsConsidered} listings have a source; the plan cuts `
        + `${plan.cut}, ${plan.remaining} stay connected. Untick a pick, or select any node and `
        + "press “Toggle selected”, to see what a different cut would do.") : null,
      list,
      extra.length ? h("p", {}, "Also removed: ", extra.map((id) => env.names.get(id) || id).join(", ")) : null,
      h("div", { class: "buttons" },
        h("button", { type: "button", id: "plan-toggle-selected", on: { click: toggleSelected } }, "Toggle selected")),
      s ? h("p", { id: "plan-impact" }, `Removing ${s.removed.length}: ${s.listingsCut.length} listings and `
        + `${s.storefrontsCut.length} storefronts cut off; ${s.sourcesRemaining.length} sources still reached.`)
        : h("p", { id: "plan-impact" }, "Nothing removed."),
      rows.length ? h("table", { class: "hotspots" }, h("tr", {}, h("th", {}, "region"),
        h("th", {}, "share before"), h("th", {}, "after")), rows) : null);
  }

  async function toggle(id) {
    if (removed.has(id)) removed.delete(id);
    else removed.add(id);
    await env.run("What-if", simulate, true);
  }

  async function toggleSelected() {
    const ids = cy.nodes(":selected").not(".group").not(".ring-group").map((n) => n.id());
    if (!ids.length) {
      env.setStatus("error", "Select a node in the graph first.");
      return;
    }
    ids.forEach((id) => { if (removed.has(id)) removed.delete(id); else removed.add(id); });
    await env.run("What-if", simulate, true);
    env.setStatus("view", `What-if: ${[...removed].map((id) => env.quote(id)).join(", ") || "nothing"} removed`);
  }

  $("plan-form").addEventListener("submit", makePlan);

  return {
    start, makePlan, toggle, toggleSelected,
    removed: () => [...removed].sort(),
    available: () => available,
    reset: () => { plan = null; removed.clear(); },
  };
}
