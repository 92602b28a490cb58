// A liaison's cases, in the right-hand panel (never over the graph): open the
// selected entities as a case, export a case as a signed package and download it,
// as it stands today or, while the view is drawn as of a past time, as of that time.
// The package is fetched with the bearer token (the download needs it) and saved
// from memory: no token in a URL.

import { Q, clock, token } from "./api.js";
import { $, chip, h, idCode, localTime, timeEl } from "./dom.js";
import { strictest } from "./graph.js";

const FORMATS = ["STIX21", "GRAPHML", "I2_CSV", "FTM_JSONL"];

/**
 * Cases over ``cy``. ``env``: gql, run(label, fn), setStatus(key, text),
 * download(blob, name), names (id -> name).
 */
export function createCases(cy, env) {
  let current = null; // the case the export form is for

  const selectedIds = () => cy.nodes(":selected").not(".group").not(".ring-group").map((n) => n.id());

  function show() {
    $("case-panel").hidden = false;
    $("case-panel").scrollIntoView({ block: "nearest" });
  }

  /** The form for the selection, in the panel beside the graph. */
  function openForm() {
    const ids = selectedIds();
    if (!ids.length) {
      env.setStatus("error", "Select entities first (click, ctrl-click or shift-drag), or pick a trace path.");
      return;
    }
    const markings = cy.nodes(":selected").not(".group").not(".ring-group")
      .map((n) => ({ marking: n.data("marking") }));
    const names = ids.map((id) => env.names.get(id) || cy.getElementById(id).data("fullName") || id);
    $("case-summary").textContent = `${ids.length} entities: ${names.slice(0, 6).join(", ")}`
      + (ids.length > 6 ? "…" : "");
    $("case-marking").value = strictest([...markings, { marking: "AMBER_STRICT" }]);
    $("case-title").value = $("case-title").value || `Case ${localTime(new Date().toISOString(), { day: true })}`;
    $("case-form").hidden = false;
    show();
    $("case-title").focus();
  }

  async function openCase(ev) {
    ev.preventDefault();
    const ids = selectedIds();
    await env.run("Open case", async () => {
      const input = { title: $("case-title").value.trim(), entities: ids, marking: $("case-marking").value };
      const { openCase: c } = await env.gql(Q.openCase, { input });
      $("case-form").hidden = true;
      env.setStatus("view", `Case “${c.title}” opened (${c.id}): ${ids.length} entities, ${c.status}`);
      await list();
      exportForm(c);
    });
  }

  /** The export form for case ``c`` (id, title, marking). */
  function exportForm(c) {
    current = c;
    $("export-title").textContent = `Export “${c.title}”`;
    $("export-max").value = "";
    $("export-result").replaceChildren();
    // Offered only while a past time is viewed; today's package unless asked.
    const at = clock.get();
    $("export-as-of-row").hidden = !at;
    $("export-as-of").checked = false;
    $("export-as-of-text").textContent = at
      ? `as of ${localTime(at, { seconds: true })}, the time viewed (the case must be open by then)` : "";
    $("case-export").hidden = false;
    show();
    $("export-recipient").focus();
  }

  async function exportCase(ev) {
    ev.preventDefault();
    if (!current) return;
    const formats = FORMATS.filter((f) => $(`export-${f}`).checked);
    if (!formats.length) {
      env.setStatus("error", "Pick at least one format.");
      return;
    }
    const asOf = $("export-as-of").checked ? clock.get() : null;
    await env.run("Export", async () => {
      const { exportCase: pkg } = await env.gql(Q.exportCase, {
        id: current.id, recipient: $("export-recipient").value.trim(), formats,
        maxMarking: $("export-max").value || null, asOf,
      });
      const name = await fetchPackage(pkg);
      $("export-result").replaceChildren(
        h("p", {}, "Package ", idCode(pkg.id), " of ", timeEl(pkg.createdAt),
          asOf ? [" as of ", timeEl(asOf)] : null, `: ${pkg.files.length} files, saved as ${name}.`),
        h("ul", { class: "files" }, pkg.files.map((f) => h("li", {}, `${f.name} (${f.bytes.toLocaleString()} bytes)`))),
        h("p", { class: "muted" }, "manifest sha256 ", idCode(pkg.manifestSha256)),
        h("button", { type: "button", on: { click: () => env.run("Download", () => fetchPackage(pkg)) } }, "Download again"));
      env.setStatus("view", `Case “${pkg.case.title}” exported: package of ${pkg.files.length} files downloaded as ${name}`);
    });
  }

  /** GET the package with the bearer token and save it. */
  async function fetchPackage(pkg) {
    const response = await fetch(pkg.downloadUrl, {
      headers: { Authorization: `Bearer ${token.get()}` }, credentials: "omit", cache: "no-store",
    });
    if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
    const name = `case-package-${pkg.id}.zip`;
    env.download(await response.blob(), name);
    return name;
  }

  /** The liaison's cases, each with its Export button. */
  async function list() {
    const { cases } = await env.gql(Q.cases);
    $("case-list").replaceChildren(...cases.map((c) => h("li", { data: { id: c.id } },
      h("div", {}, h("span", { class: "name" }, c.title), " ", chip(c.marking)),
      h("div", { class: "meta" }, `${c.entities.length} entities · ${c.status} · opened `, timeEl(c.openedAt)),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "export-case", on: { click: () => exportForm(c) } }, "Export…")))));
    if (!cases.length) $("case-list").append(h("li", { class: "muted" }, "No case yet."));
  }

  $("case-form").addEventListener("submit", openCase);
  $("case-cancel").addEventListener("click", () => { $("case-form").hidden = true; });
  $("case-export").addEventListener("submit", exportCase);
  $("export-cancel").addEventListener("click", () => { $("case-export").hidden = true; });
  $("case-close").addEventListener("click", () => { $("case-panel").hidden = true; });

  return { openForm, list, exportForm, reset: () => {
    current = null;
    $("case-panel").hidden = true;
    $("case-form").hidden = true;
    $("case-export").hidden = true;
    $("case-list").replaceChildren();
  } };
}
