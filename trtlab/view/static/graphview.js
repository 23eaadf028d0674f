import cytoscape from "./cytoscape.esm.min.mjs";
// trtlab graph view: one ES module for the anywidget front end and for the offline HTML export.
// `render({model, el})` draws model.get("data") (see trtlab/view/data.py) with Cytoscape.js:
// one panel per graph, linked by the nodes' `links`; the selection is written back to the model
// (`selected`, `selected_layer`, `highlighted_nodes`) so Python can read it.

const BIG = 1500;            // above this many elements per panel: faster drawing settings
const MINIMAP_ABOVE = 120;   // nodes per panel above which a minimap is shown
const LIT = "#d62728";
const FOUND = "#ff9900";
const HEAT = [[255, 255, 255], [253, 212, 158], [252, 141, 89], [215, 48, 31], [127, 0, 0]];

// A model object for a plain page: the subset of anywidget's model that render() uses.
function plainModel(state) {
  const handlers = {};
  return {
    get: (k) => state[k],
    set: (k, v) => {
      const old = state[k];
      state[k] = v;
      if (JSON.stringify(old) !== JSON.stringify(v)) (handlers["change:" + k] || []).forEach((f) => f());
    },
    on: (ev, f) => { (handlers[ev] = handlers[ev] || []).push(f); },
    off: (ev, f) => { if (handlers[ev]) handlers[ev] = handlers[ev].filter((g) => g !== f); },
    save_changes: () => {},
    state,
  };
}

function heatColor(t) {
  if (t === null || t === undefined || Number.isNaN(t)) return "#eeeeee";
  const x = Math.max(0, Math.min(1, t)) * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(x));
  const f = x - i;
  const c = HEAT[i].map((a, k) => Math.round(a + (HEAT[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function colorOf(node, spec) {
  if (!spec) return "#dddddd";
  if (spec.heat) return heatColor(node[spec.attr]);
  const v = node[spec.attr];
  return (spec.palette && v !== null && v !== undefined && spec.palette[v]) || "#e8e8e8";
}

// Text colour that reads on a fill: white on dark colours, near-black on light ones.
function textOn(fill) {
  let r, g, b;
  const m = /^#([0-9a-f]{6})$/i.exec(fill);
  if (m) { const v = parseInt(m[1], 16); r = v >> 16; g = (v >> 8) & 255; b = v & 255; }
  else { const c = (fill.match(/\d+/g) || [255, 255, 255]).map(Number); [r, g, b] = c; }
  return 0.299 * r + 0.587 * g + 0.114 * b < 140 ? "#ffffff" : "#111111";
}

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function detailsTable(rows) {
  const t = h("table");
  for (const [k, v] of rows || []) t.append(h("tr", {}, h("td", { text: k }), h("td", { text: String(v) })));
  return t;
}

function styleFor(big) {
  return [
    { selector: "node", style: {
      shape: "round-rectangle", width: "data(w)", height: 34, "background-color": "data(color)",
      "border-width": 1, "border-color": "#555", label: "data(label)", "text-wrap": "wrap",
      "text-max-width": "data(w)", "font-size": 10, "text-valign": "center", "text-halign": "center",
      color: "data(fg)", "min-zoomed-font-size": big ? 7 : 5 } },
    { selector: "node[role = 'io']", style: { shape: "ellipse", "border-style": "dashed", "background-color": "#fff" } },
    { selector: "node[role = 'layer'][kind = 'reformat']", style: { shape: "cut-rectangle", height: 26 } },
    { selector: ":parent", style: {
      shape: "round-rectangle", "background-color": "data(color)", "background-opacity": 0.10,
      "border-width": 2, "border-color": "data(color)", "border-opacity": 1, label: "data(label)",
      "text-valign": "top", "text-halign": "center", "font-size": 9, "text-wrap": "ellipsis",
      "text-max-width": 220, padding: 6, color: "#333", "compound-sizing-wrt-labels": "exclude" } },
    { selector: "node.collapsed", style: {
      shape: "round-rectangle", width: 150, height: 38, "background-opacity": 0.35, "border-width": 3,
      "border-style": "double", label: "data(label)", "text-valign": "center", "font-size": 10,
      "text-wrap": "ellipsis", "text-max-width": 140 } },
    { selector: "edge", style: big
      ? { "curve-style": "haystack", width: 1, "line-color": "#9a9a9a", "haystack-radius": 0 }
      : { "curve-style": "straight", width: 1.2, "line-color": "#8a8a8a", "target-arrow-shape": "triangle",
          "target-arrow-color": "#8a8a8a", "arrow-scale": 0.8 } },
    { selector: "edge.meta", style: { "line-style": "dashed" } },
    { selector: ".dim", style: { opacity: 0.35 } },
    { selector: "node.found", style: { "border-width": 4, "border-color": FOUND } },
    { selector: "node.lit", style: { "border-width": 4, "border-color": LIT, opacity: 1, "z-index": 10 } },
    { selector: "node.sel", style: { "border-width": 6, "border-color": LIT, "border-style": "double" } },
    { selector: "edge.lit", style: { "line-color": LIT, "target-arrow-color": LIT, width: 2.5, opacity: 1 } },
    { selector: ".hidden", style: { display: "none" } },
  ];
}

function groupData(g, spec, virtual) {
  const fill = spec && spec.palette && spec.palette[g.kind] ? spec.palette[g.kind] : "#555555";
  return { id: g.id, label: g.label, kind: g.kind, role: "group", color: fill, fg: "#222222", w: 150,
    collapsible: !!g.collapsible, virtual };
}

// Groups are compound nodes (drawn boxes) in small panels; in big panels compound nodes cost
// more than the rest of the drawing, so there a group only exists as a node while collapsed.
function elementsOf(panel, spec, boxes) {
  const els = [];
  if (boxes) for (const g of panel.groups || []) els.push({ group: "nodes", data: groupData(g, spec, false) });
  for (const n of panel.nodes) {
    const color = colorOf(n, spec);
    const data = { id: n.id, label: n.label, w: n.w, role: n.role, kind: n.kind || "", color, fg: textOn(color) };
    if (n.parent) data[boxes ? "parent" : "group"] = n.parent;
    els.push({ group: "nodes", data, position: { x: n.x, y: n.y } });
  }
  panel.edges.forEach((e, i) => {
    els.push({ group: "edges", data: { id: `${panel.id}:e${i}`, source: e.source, target: e.target, label: e.label } });
  });
  return els;
}

// The nodes lit by selecting `id`: itself, its links, and their links (two hops).
function litIds(byId, id) {
  const out = new Set([id]);
  const first = (byId.get(id) || { links: [] }).links;
  for (const a of first) {
    out.add(a);
    for (const b of (byId.get(a) || { links: [] }).links) out.add(b);
  }
  return out;
}

function initialView(cy, big) {
  const bb = cy.elements().boundingBox({ includeLabels: false });
  const w = cy.width(), hgt = cy.height();
  if (!bb.w || !w) { cy.fit(undefined, 20); return; }
  const fitAll = Math.min((w - 30) / bb.w, (hgt - 30) / bb.h);
  const byWidth = Math.min(1, (w - 30) / bb.w);
  const zoom = Math.max(fitAll, big ? Math.min(byWidth, 0.6) : byWidth);
  cy.zoom(zoom);
  cy.pan({ x: w / 2 - (bb.x1 + bb.w / 2) * zoom, y: 15 - bb.y1 * zoom });
  if (fitAll >= zoom) cy.center();
}

// Wheel scrolls (pans) the drawing like a page; with Ctrl/Cmd (or a pinch) it zooms at the cursor.
// While the wheel moves the view, Cytoscape is told so, as its own wheel zoom does, so that big
// panels pan and zoom a cached picture (textureOnViewport) and redraw once the wheel stops.
function wheelHandler(cy, container) {
  const r = cy.renderer ? cy.renderer() : null;
  const moving = () => {
    if (!r || !r.data || !r.redrawHint) return;
    r.data.wheelZooming = true;
    clearTimeout(r.data.wheelTimeout);
    r.data.wheelTimeout = setTimeout(() => { r.data.wheelZooming = false; r.redrawHint("eles", true); r.redraw(); }, 150);
  };
  return (ev) => {
    ev.preventDefault();
    moving();
    if (ev.ctrlKey || ev.metaKey) {
      const rect = container.getBoundingClientRect();
      const z = cy.zoom() * Math.pow(1.0015, -ev.deltaY);
      cy.zoom({ level: Math.max(cy.minZoom(), Math.min(cy.maxZoom(), z)),
        renderedPosition: { x: ev.clientX - rect.left, y: ev.clientY - rect.top } });
    } else {
      cy.panBy({ x: -(ev.shiftKey ? ev.deltaY : ev.deltaX), y: ev.shiftKey ? 0 : -ev.deltaY });
    }
  };
}

function makeMinimap(cy, holder, nodes) {
  const canvas = h("canvas", { class: "tv-mini", width: 150, height: 100, title: "overview: click to move there" });
  holder.append(canvas);
  const ctx = canvas.getContext("2d");
  let xs = nodes.map((n) => n.x), ys = nodes.map((n) => n.y);
  const x0 = Math.min(...xs) - 40, x1 = Math.max(...xs) + 40, y0 = Math.min(...ys) - 40, y1 = Math.max(...ys) + 40;
  const s = Math.min(150 / (x1 - x0), 100 / (y1 - y0));
  const ox = (150 - (x1 - x0) * s) / 2, oy = (100 - (y1 - y0) * s) / 2;
  const tx = (x) => ox + (x - x0) * s, ty = (y) => oy + (y - y0) * s;
  const base = document.createElement("canvas");
  base.width = 150; base.height = 100;
  const b = base.getContext("2d");
  for (const n of nodes) { b.fillStyle = "#4c72b0"; b.fillRect(tx(n.x) - 1, ty(n.y) - 1, 2, 2); }
  let queued = false;
  const draw = () => {
    queued = false;
    ctx.clearRect(0, 0, 150, 100);
    ctx.drawImage(base, 0, 0);
    const ext = cy.extent();
    ctx.strokeStyle = LIT; ctx.lineWidth = 1.5;
    ctx.strokeRect(tx(ext.x1), ty(ext.y1), Math.max(2, ext.w * s), Math.max(2, ext.h * s));
  };
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(draw); } };
  cy.on("viewport resize", schedule);
  canvas.addEventListener("mousedown", (ev) => {
    const r = canvas.getBoundingClientRect();
    const gx = x0 + (ev.clientX - r.left - ox) / s, gy = y0 + (ev.clientY - r.top - oy) / s;
    const z = cy.zoom();
    cy.pan({ x: cy.width() / 2 - gx * z, y: cy.height() / 2 - gy * z });
    ev.stopPropagation();
  });
  draw();
  return canvas;
}

function render({ model, el }) {
  const data = model.get("data") || { panels: [] };
  const modes = data.color_modes || {};
  const root = h("div", { class: "trtlab-view" });
  el.append(root);
  const cys = [];
  const byId = new Map();
  for (const p of data.panels) for (const n of p.nodes) byId.set(n.id, n);

  // ---- header: title, toolbar, legend
  root.append(h("div", { class: "tv-title", text: data.title || "" }));
  const search = h("input", { type: "search", placeholder: "search names (regex), Enter", "aria-label": "search" });
  const status = h("span", { class: "tv-status" });
  const colorSel = h("select", { "aria-label": "colour by", title: "colour by" });
  for (const [k, spec] of Object.entries(modes)) colorSel.append(h("option", { value: k, text: `colour: ${spec.label || k}` }));
  colorSel.value = model.get("color_by") || data.color_by || Object.keys(modes)[0] || "";
  const collapseBtn = h("button", { type: "button", "aria-pressed": "false", title: "collapse boxes (fused groups, Myelin regions, name blocks) to one node" }, "collapse boxes");
  const hasGroups = data.panels.some((p) => (p.groups || []).some((g) => g.collapsible));
  const bar = h("div", { class: "tv-bar" }, search,
    h("button", { type: "button", title: "fit the whole graph", onclick: () => cys.forEach(({ cy }) => cy.fit(undefined, 20)) }, "fit"),
    h("button", { type: "button", title: "show only the selection and its neighbours", onclick: () => focus() }, "focus"),
    h("button", { type: "button", title: "show every node again", onclick: () => showAll() }, "show all"),
    hasGroups ? collapseBtn : null,
    Object.keys(modes).length > 1 ? colorSel : null, status);
  root.append(bar);
  const legend = h("div", { class: "tv-legend" });
  root.append(legend);
  if (data.legend_note) root.append(h("div", { class: "tv-note", text: data.legend_note }));
  const panels = h("div", { class: "tv-panels" });
  panels.style.height = `${model.get("height") || 640}px`;
  root.append(panels);
  const details = h("div", { class: "tv-details" });
  root.append(details);
  const tip = h("div", { class: "tv-tip" });
  root.append(tip);

  const drawLegend = () => {
    legend.textContent = "";
    const spec = modes[colorSel.value];
    if (!spec) return;
    legend.append(h("b", { text: `${spec.label || colorSel.value}: ` }));
    if (spec.heat) legend.append(h("span", { text: "0 " }), h("span", { class: "tv-heat" }), h("span", { text: " most time" }));
    else for (const [k, c] of Object.entries(spec.palette || {})) {
      const sw = h("span", { class: "tv-swatch" }); sw.style.background = c;
      legend.append(h("span", {}, sw, document.createTextNode((spec.labels && spec.labels[k]) || k)));
    }
    const sw = h("span", { class: "tv-swatch" }); sw.style.borderColor = LIT; sw.style.borderWidth = "3px";
    legend.append(h("span", {}, sw, document.createTextNode("selected / linked")));
  };

  // ---- one Cytoscape instance per panel
  const t0 = performance.now();
  const spec0 = modes[colorSel.value];
  for (const p of data.panels) {
    const box = h("div", { class: "tv-panel", "data-panel": p.id });
    const holder = h("div", { class: "tv-cy" });
    box.append(h("div", { class: "tv-panel-title", title: p.title || "", text: p.title || "" }), holder);
    panels.append(box);
    const big = p.nodes.length + p.edges.length > BIG;
    const webgl = (model.get("renderer") || "auto") === "webgl";
    const cy = cytoscape({
      renderer: webgl ? { name: "canvas", webgl: true } : { name: "canvas" },
      container: holder, elements: elementsOf(p, spec0, !big), layout: { name: "preset" }, style: styleFor(big),
      minZoom: 0.02, maxZoom: 3, userZoomingEnabled: false, boxSelectionEnabled: false, autoungrabify: true,
      textureOnViewport: big, hideEdgesOnViewport: big, pixelRatio: big ? 1 : "auto",
    });
    holder.addEventListener("wheel", wheelHandler(cy, holder), { passive: false });
    // Cytoscape caches where its container is on the page and refreshes that on window scrolls;
    // a notebook scrolls inside an element, so refresh it before every pointer event
    const fresh = () => { const r = cy.renderer(); if (r && r.invalidateContainerClientCoordsCache) r.invalidateContainerClientCoordsCache(); };
    for (const ev of ["mousedown", "mousemove", "touchstart", "pointerdown"]) holder.addEventListener(ev, fresh, true);
    cys.push({ cy, panel: p, holder, big });
    if (p.nodes.length > MINIMAP_ABOVE) makeMinimap(cy, holder, p.nodes);
  }
  const fitAll = () => cys.forEach(({ cy, big }) => { cy.resize(); initialView(cy, big); });
  // Cytoscape draws in its own animation frame after a viewport change (both renderers): two
  // frames after the first fit, every panel has been drawn once.
  const markPainted = () => {
    root.dataset.firstPaintMs = String(Math.round(performance.now() - t0));
    root.dataset.paintAt = String(Math.round(performance.now()));
    root.dataset.ready = "1";
  };
  requestAnimationFrame(() => { fitAll(); requestAnimationFrame(() => requestAnimationFrame(markPainted)); });
  const ro = new ResizeObserver(() => cys.forEach(({ cy }) => cy.resize()));
  ro.observe(panels);

  // ---- colours
  const recolor = () => {
    const spec = modes[colorSel.value];
    for (const { cy, panel } of cys) cy.batch(() => {
      for (const n of panel.nodes) {
        const c = colorOf(n, spec);
        cy.getElementById(n.id).data({ color: c, fg: textOn(c) });
      }
      for (const g of panel.groups || []) {
        const c = spec && spec.palette && spec.palette[g.kind] ? spec.palette[g.kind] : "#555555";
        cy.getElementById(g.id).data("color", c);
      }
    });
    drawLegend();
  };
  colorSel.addEventListener("change", () => { model.set("color_by", colorSel.value); model.save_changes(); recolor(); });
  model.on("change:color_by", () => { const v = model.get("color_by"); if (v && v !== colorSel.value) { colorSel.value = v; recolor(); } });
  drawLegend();

  // ---- selection, linked across panels
  const applySelection = () => {
    const id = model.get("selected") || "";
    const ids = id ? litIds(byId, id) : new Set();
    for (const { cy } of cys) cy.batch(() => {
      cy.elements().removeClass("lit sel dim");
      if (!ids.size) return;
      const lit = cy.nodes().filter((n) => ids.has(n.id()));
      if (!lit.length) return;
      cy.elements().addClass("dim");
      lit.removeClass("dim").addClass("lit");
      lit.parents().removeClass("dim");
      lit.edgesWith(lit).removeClass("dim").addClass("lit");
      cy.getElementById(id).addClass("sel");
      const ext = cy.extent(), bb = lit.boundingBox();
      const inside = bb.x1 >= ext.x1 && bb.x2 <= ext.x2 && bb.y1 >= ext.y1 && bb.y2 <= ext.y2;
      if (!inside) cy.center(lit);
    });
    details.textContent = "";
    const n = byId.get(id);
    if (n) details.append(detailsTable(n.details));
    const layer = n ? (n.role === "layer" ? n.name : ([...ids].map((i) => byId.get(i)).filter((m) => m && m.role === "layer").map((m) => m.name).sort()[0] || "")) : "";
    const onnx = [...ids].map((i) => byId.get(i)).filter((m) => m && m.role === "onnx").map((m) => m.name).sort();
    status.textContent = n ? `selected ${n.name}: ${onnx.length} ONNX node${onnx.length === 1 ? "" : "s"} lit` : "";
    return { layer, onnx };
  };
  const select = (id) => {
    model.set("selected", id);
    const { layer, onnx } = applySelection();
    model.set("selected_layer", layer);
    model.set("highlighted_nodes", onnx);
    model.save_changes();
  };
  model.on("change:selected", applySelection);
  for (const { cy } of cys) {
    cy.on("tap", "node", (ev) => {
      const node = ev.target;
      if (node.data("role") === "group") { toggleGroup(cy, node); return; }
      select(node.id());
    });
    cy.on("tap", (ev) => { if (ev.target === cy) select(""); });
    cy.on("mouseover", "node, edge", (ev) => showTip(ev));
    cy.on("mouseout", "node, edge", () => { tip.style.display = "none"; });
  }
  if (model.get("selected")) applySelection();

  function showTip(ev) {
    const t = ev.target;
    tip.textContent = "";
    if (t.isNode()) {
      const n = byId.get(t.id());
      if (n) tip.append(detailsTable(n.details));
      else tip.append(h("b", { text: t.data("label") + (t.data("collapsible") ? " (click to collapse/expand)" : "") }));
    } else {
      const label = t.data("label");
      if (!label) return;
      tip.append(detailsTable([["tensor", label]]));
    }
    // inside the view (a notebook's output area clips what sticks out), beside the cursor on the
    // side with room, never over the node under it
    const oe = ev.originalEvent;
    const box = root.getBoundingClientRect();
    const x = (oe ? oe.clientX : 0) - box.left, y = (oe ? oe.clientY : 0) - box.top;
    tip.style.display = "block";
    const w = tip.offsetWidth, hgt = tip.offsetHeight;
    const left = x + 14 + w < box.width - 4 ? x + 14 : x - w - 14;
    const top = y + 14 + hgt < box.height - 4 ? y + 14 : Math.max(4, box.height - hgt - 4);
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${top}px`;
  }

  // ---- search, focus, collapse
  search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") find(search.value); });
  function find(q) {
    let rx;
    try { rx = new RegExp(q, "i"); } catch (e) { rx = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i"); }
    let total = 0;
    for (const { cy, panel } of cys) cy.batch(() => {
      cy.nodes().removeClass("found");
      if (!q) return;
      const ids = new Set(panel.nodes.filter((n) => rx.test(n.name) || rx.test(n.label)).map((n) => n.id));
      const hit = cy.nodes().filter((n) => ids.has(n.id()));
      total += hit.length;
      hit.addClass("found");
      if (hit.length) cy.fit(hit, 40);
      if (cy.zoom() > 1.2) { cy.zoom(1.2); cy.center(hit); }
    });
    status.textContent = q ? `${total} match${total === 1 ? "" : "es"} for /${q}/` : "";
  }
  function focus() {
    const id = model.get("selected");
    if (!id) { status.textContent = "select a node first, then focus shows its neighbourhood"; return; }
    const ids = litIds(byId, id);
    for (const { cy } of cys) cy.batch(() => {
      const lit = cy.nodes().filter((n) => ids.has(n.id()));
      if (!lit.length) return;
      const keep = lit.closedNeighborhood().closedNeighborhood();
      const all = keep.union(keep.parents());
      cy.elements().not(all).addClass("hidden");
      all.removeClass("hidden");
      cy.fit(all.filter(":visible"), 30);
    });
  }
  function showAll() {
    for (const { cy, big } of cys) { cy.elements().removeClass("hidden"); initialView(cy, big); }
  }
  // A collapsed box is the group node alone: its members and their edges are removed (kept to be
  // restored), and dashed edges stand for the members' connections.
  const stash = new Map();
  function members(cy, group) {
    return group.isParent() ? group.descendants() : cy.nodes().filter((n) => n.data("group") === group.id());
  }
  function collapse(cy, group) {
    const kids = members(cy, group);
    if (!kids.length) return;
    const bb = kids.boundingBox({ includeLabels: false });
    const rep = (n) => (kids.contains(n) ? group : n);
    const metas = [];
    const seen = new Set();
    kids.connectedEdges().forEach((e) => {
      const s = rep(e.source()), t = rep(e.target());
      const key = s.id() + "->" + t.id();
      if (s === t || seen.has(key)) return;
      seen.add(key);
      metas.push({ group: "edges", data: { id: `meta:${group.id()}:${seen.size}`, source: s.id(), target: t.id(), label: e.data("label") }, classes: "meta" });
    });
    stash.set(group.id(), kids.union(kids.connectedEdges()).remove());
    group.addClass("collapsed");
    group.position({ x: bb.x1 + bb.w / 2, y: bb.y1 + bb.h / 2 });
    cy.add(metas);
  }
  // the node of a group: the compound node, or (big panels) one made for the collapsed group
  function groupNode(cy, panel, g) {
    const found = cy.getElementById(g.id);
    if (found.length) return found;
    const spec = modes[colorSel.value];
    return cy.add({ group: "nodes", data: groupData(g, spec, true), position: { x: 0, y: 0 } });
  }
  let pending = [];  // stashed edges whose other end is still inside a collapsed box
  function expand(cy, group) {
    group.removeClass("collapsed");
    const kept = stash.get(group.id());
    stash.delete(group.id());
    if (kept) { kept.nodes().restore(); pending = pending.concat(kept.edges().toArray()); }
    const exists = (id) => cy.getElementById(id).length > 0;
    const later = [];
    for (const e of pending) {
      if (exists(e.data("source")) && exists(e.data("target"))) { if (!e.inside()) e.restore(); } else later.push(e);
    }
    pending = later;
    if (group.data("virtual")) group.remove();
    // dashed stand-in edges are only kept while the box they stand for is collapsed, and both ends exist
    cy.edges(".meta").filter((e) => {
      const gid = e.id().slice(5, e.id().lastIndexOf(":"));
      return !cy.getElementById(gid).hasClass("collapsed") || gid === group.id();
    }).remove();
  }
  function toggleGroup(cy, group) {
    if (!group.data("collapsible")) return;
    cy.batch(() => (group.hasClass("collapsed") ? expand(cy, group) : collapse(cy, group)));
  }
  collapseBtn.addEventListener("click", () => {
    const on = collapseBtn.getAttribute("aria-pressed") !== "true";
    collapseBtn.setAttribute("aria-pressed", String(on));
    for (const { cy, panel } of cys) cy.batch(() => {
      for (const g of (panel.groups || []).filter((x) => x.collapsible)) {
        const node = cy.getElementById(g.id);
        if (on && !node.hasClass("collapsed")) collapse(cy, groupNode(cy, panel, g));
        if (!on && node.hasClass("collapsed")) expand(cy, node);
      }
      if (on) {
        // the boxes keep their members' places, far apart in a long graph: lay the few that are left out afresh
        cy.elements().layout({ name: "breadthfirst", directed: true, spacingFactor: 0.8, animate: false }).run();
      } else {
        cy.nodes().forEach((n) => { const d = byId.get(n.id()); if (d) n.position({ x: d.x, y: d.y }); });
      }
    });
    cys.forEach(({ cy, big }) => initialView(cy, big));
  });

  root.__trtlab = { cys: cys.map((c) => c.cy), select, find };
  return () => { ro.disconnect(); cys.forEach(({ cy }) => cy.destroy()); };
}

const widget = { render };
export default widget;
