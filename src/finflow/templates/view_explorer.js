/* finflow explorer: filters, search, focus, cycles, cascade playback, deep links, export.
   Inlined into the page by finflow.view. Data text only ever reaches the DOM through
   textContent; links are made only from http(s) URLs. Filters hide drawn items (vis
   DataSet updates) and never move the layout. */
function finflowExplorer(root, spec, view) {
  "use strict";
  var X = spec.explore, C = X.commitments, E = X.entities, P = X.playback;
  var nodes = view.nodes, edges = view.edges, network = view.network;
  var q = function (sel) { return root.querySelector(sel); };
  var qa = function (sel) { return Array.prototype.slice.call(root.querySelectorAll(sel)); };
  var GROUP = {closed: "binding", committed: "binding", loi: "nonbinding", reported: "nonbinding",
               lapsed: "lapsed"};
  var base = {nodes: {}, edges: {}};
  nodes.get().forEach(function (n) { base.nodes[n.id] = {color: n.color, label: n.label, font: n.font}; });
  edges.get().forEach(function (e) { base.edges[e.id] = {color: e.color}; });
  var S = {};
  var vis = {nodes: {}, edges: {}};
  var timer = null;

  function el(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined && text !== null) { x.textContent = String(text); }
    if (cls) { x.className = cls; }
    return x;
  }
  function fmt(x) {
    if (x === null || x === undefined) { return "undisclosed"; }
    var a = Math.abs(x), d = a >= 100 ? 1 : 2;
    return x.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
  }
  function pct(x) { return (100 * x).toFixed(1) + "%"; }
  function typeOf(id) { return E[id] ? E[id].type : "other"; }
  function nameOf(id) { return E[id] ? E[id].name : id; }
  function link(part) {
    var url = part[1];
    if (url && /^https?:\/\//i.test(url)) {
      var a = el("a", part[0]);
      a.setAttribute("href", url);
      a.setAttribute("target", "_blank");
      a.setAttribute("rel", "noopener noreferrer");
      return a;
    }
    return el("span", part[0]);
  }
  function sourcesList(parts) {
    var ul = el("ul", null, "ffv-sources");
    (parts || []).forEach(function (p) { var li = el("li"); li.appendChild(link(p)); ul.appendChild(li); });
    if (!parts || !parts.length) { ul.appendChild(el("li", "no source given")); }
    return ul;
  }

  // ---- filters -------------------------------------------------------------------------
  function initialState() {
    return {kinds: X.initial.kinds.slice(), types: X.types.slice(),
            groups: X.initial.groups.slice(), conf: X.confidence.slice(), min: 0,
            date: null, focus: null, cycle: null, deal: null,
            step: P ? P.steps.length - 1 : null};
  }
  function statusAt(c, date) {
    // Network.as_of: announced (first day) on or before the date or missing; not lapsed
    // by then; a lapsed commitment that lapsed after the date counts with its prior status
    if (!date) { return c.status; }
    if (c.announced && c.announced > date) { return null; }
    if (c.lapsed_on && c.lapsed_on <= date) { return null; }
    if (c.status === "lapsed" && c.lapsed_on && c.lapsed_on > date) { return c.prior || "reported"; }
    return c.status;
  }
  function has(list, x) { return list.indexOf(x) >= 0; }
  function computeVisible() {
    var ve = {}, vn = {}, volume = 0, ne = 0, nn = 0;
    Object.keys(C).forEach(function (id) {
      var c = C[id], st = statusAt(c, S.date);
      var ok = st !== null && has(S.kinds, c.kind) && has(S.groups, GROUP[st] || "binding") &&
        has(S.conf, c.confidence || "unknown") &&
        (!(S.min > 0) || (c.amount !== null && c.amount >= S.min)) &&
        has(S.types, typeOf(c.from)) && has(S.types, typeOf(c.to)) && E[c.from] && E[c.to];
      if (ok) {
        ve[id] = st; ne += 1;
        if (c.counted) { volume += c.amount; }
        vn[c.from] = true; vn[c.to] = true;
      }
    });
    Object.keys(vn).forEach(function () { nn += 1; });
    return {edges: ve, nodes: vn, n_edges: ne, n_nodes: nn, volume: volume};
  }
  function apply() {
    var v = computeVisible();
    var eu = [], nu = [];
    Object.keys(C).forEach(function (id) {
      var hide = !(id in v.edges);
      if (!!vis.edges[id] === hide || vis.edges[id] === undefined) { eu.push({id: id, hidden: hide}); }
    });
    Object.keys(E).forEach(function (id) {
      var hide = !(id in v.nodes);
      if (!!vis.nodes[id] === hide || vis.nodes[id] === undefined) { nu.push({id: id, hidden: hide}); }
    });
    vis = {edges: {}, nodes: {}};
    Object.keys(v.edges).forEach(function (id) { vis.edges[id] = true; });
    Object.keys(v.nodes).forEach(function (id) { vis.nodes[id] = true; });
    if (nu.length) { nodes.update(nu); }
    if (eu.length) { edges.update(eu); }
    view.visible = v;
    q("[data-count='entities']").textContent = v.n_nodes.toLocaleString("en-US");
    q("[data-count='commitments']").textContent = v.n_edges.toLocaleString("en-US");
    q("[data-count='volume']").textContent = fmt(v.volume);
    emphasis();
    table();
    panel();
    writeHash();
    syncControls();
  }

  // ---- emphasis: focus, cycle, cascade -------------------------------------------------------
  function mix(c0, c1, t) {
    t = Math.max(0, Math.min(1, t));
    var out = "#";
    for (var i = 1; i < 7; i += 2) {
      var a = parseInt(c0.substr(i, 2), 16), b = parseInt(c1.substr(i, 2), 16);
      var x = Math.round(a + (b - a) * t).toString(16);
      out += x.length < 2 ? "0" + x : x;
    }
    return out;
  }
  function bright() {
    // the entities and commitments not dimmed, or null when nothing is singled out
    var v = view.visible, bn = {}, be = {};
    if (S.cycle !== null && X.cycles[S.cycle]) {
      var cy = X.cycles[S.cycle];
      cy.nodes.forEach(function (id) { bn[id] = true; });
      cy.commitments.forEach(function (id) { if (id in v.edges) { be[id] = true; } });
      return {nodes: bn, edges: be};
    }
    if (S.focus && E[S.focus]) {
      bn[S.focus] = true;
      Object.keys(v.edges).forEach(function (id) {
        var c = C[id];
        if (c.from === S.focus || c.to === S.focus) { be[id] = true; bn[c.from] = true; bn[c.to] = true; }
      });
      return {nodes: bn, edges: be};
    }
    return null;
  }
  function cascadeFill(id) {
    var e = P.entities[id], last = S.step >= P.steps.length - 1, col = X.colors;
    if (!e) { return {fill: col.missing, note: "not in the scenario"}; }
    if (e.defaulted && e.round !== null && e.round <= S.step) {
      return {fill: col.defaulted, note: "defaulted in round " + e.round + (e.relative_loss === null ? ", loses " + e.loss_text : "")};
    }
    if (!last) { return {fill: col.low, note: ""}; }
    if (e.relative_loss !== null) {
      return {fill: mix(col.low, col.high, e.relative_loss), note: "loses " + pct(e.relative_loss) + " of equity"};
    }
    if (e.loss !== null && e.loss > 0) { return {fill: col.amount, note: "loses " + e.loss_text, amount: true}; }
    return {fill: col.low, note: e.loss === null ? "loss unknown" : "loses nothing"};
  }
  function emphasis() {
    var b = bright(), nu = [], eu = [];
    Object.keys(E).forEach(function (id) {
      var bc = base.nodes[id], color = JSON.parse(JSON.stringify(bc.color)), label = bc.label;
      if (P && S.step !== null) {
        var f = cascadeFill(id);
        color.background = f.fill; color.highlight.background = f.fill; color.hover.background = f.fill;
        if (f.amount) { label = bc.label + "\n(loses " + P.entities[id].loss_text + ")"; }
      }
      nu.push({id: id, color: color, label: label, opacity: b && !b.nodes[id] ? 0.15 : 1});
    });
    Object.keys(C).forEach(function (id) {
      var bc = base.edges[id].color, dim = b && !b.edges[id];
      var on = S.cycle !== null && b && b.edges[id];
      var colr = on ? X.colors.cycle : bc.color;
      // a lapsed deal shown at a date when it was still alive looks like its prior status
      var st = view.visible.edges[id], alive = C[id].status === "lapsed" && st && st !== "lapsed";
      var item = {id: id, color: {color: colr, highlight: colr, hover: colr,
                                  opacity: dim ? 0.07 : (alive ? 0.85 : bc.opacity)}};
      if (C[id].status === "lapsed" && C[id].amount !== null) {
        item.dashes = alive && GROUP[st] === "nonbinding" ? [10, 7] : false;
      }
      eu.push(item);
    });
    nodes.update(nu);
    edges.update(eu);
    view.bright = b;
    cycleInfo();
    cascadeInfo();
  }

  // ---- side panel: entity, deal ------------------------------------------------------------
  function commitmentLine(id, other) {
    var c = C[id], li = el("li");
    var btn = el("button", (other === c.to ? "\u2192 " : "\u2190 ") + nameOf(other) + ": " + c.kind + " " + c.amount_text, "ffv-linkish");
    btn.type = "button";
    btn.setAttribute("data-commitment", id);
    btn.addEventListener("click", function () { S.deal = id; apply(); });
    li.appendChild(btn);
    var st = view.visible.edges[id] || c.status;
    var meta = [st + (GROUP[st] === "nonbinding" ? " (non-binding)" : "")];
    c.dates.forEach(function (d) { meta.push(d[0] + " " + d[1]); });
    meta.push("confidence " + (c.confidence || "not given"));
    li.appendChild(el("div", meta.join(" \u00b7 "), "ffv-meta"));
    li.appendChild(sourcesList(c.sources));
    return li;
  }
  function panel() {
    var box = q(".ffv-panel");
    box.textContent = "";
    if (S.deal && C[S.deal]) { dealPanel(box, S.deal); box.hidden = false; return; }
    if (!S.focus || !E[S.focus]) { box.hidden = true; return; }
    box.hidden = false;
    var id = S.focus, e = E[id];
    var close = el("button", "Close", "ffv-close");
    close.type = "button";
    close.addEventListener("click", function () { S.focus = null; apply(); });
    box.appendChild(close);
    box.appendChild(el("h2", e.name));
    box.appendChild(el("p", "id " + id + " \u00b7 " + e.type.replace("_", " ") +
      (e.external === true ? " \u00b7 external holder" : "") +
      (e.holder_class ? " \u00b7 holder class " + e.holder_class : ""), "ffv-meta"));
    var dl = el("dl", null, "ffv-figures");
    e.figures.forEach(function (f) { dl.appendChild(el("dt", f[0])); dl.appendChild(el("dd", f[1])); });
    box.appendChild(dl);
    if (e.estimated) { box.appendChild(el("p", "estimated: " + e.estimated, "ffv-meta")); }
    var cyc = e.cycle;
    box.appendChild(el("p", cyc ? "Heaviest cycle through it: " + (cyc.nodes ? cyc.nodes.concat([cyc.nodes[0]]).map(nameOf).join(" \u2192 ") : "(members not listed)") +
      "; " + cyc.text + " can go round." : "On no cycle.", "ffv-cycle-line"));
    box.appendChild(el("p", e.circular_share === null ? (X.share_note ? "Circular share: " + X.share_note + "." : "Circular share: none (no inflow that went round a loop).") :
      "Circular share (BFF): " + pct(e.circular_share) + " of its inflow went round a loop back to it.", "ffv-share-line"));
    box.appendChild(el("p", "Cycle and share for " + X.scope + ".", "ffv-meta"));
    var outs = [], ins = [], hidden = 0;
    Object.keys(C).forEach(function (cid) {
      var c = C[cid];
      if (c.from !== id && c.to !== id) { return; }
      if (!(cid in view.visible.edges)) { hidden += 1; return; }
      (c.from === id ? outs : ins).push(cid);
    });
    [["Commitments out (it pays)", outs, "to"], ["Commitments in (it receives)", ins, "from"]].forEach(function (sec) {
      box.appendChild(el("h3", sec[0] + ": " + sec[1].length));
      var ul = el("ul", null, "ffv-coms");
      sec[1].forEach(function (cid) { ul.appendChild(commitmentLine(cid, C[cid][sec[2]])); });
      box.appendChild(ul);
    });
    if (hidden) { box.appendChild(el("p", hidden + " more hidden by the filters.", "ffv-meta")); }
    box.appendChild(el("h3", "Sources"));
    box.appendChild(sourcesList(e.sources));
  }
  function dealPanel(box, id) {
    var c = C[id];
    var back = el("button", S.focus ? "Back to " + nameOf(S.focus) : "Close", "ffv-close");
    back.type = "button";
    back.addEventListener("click", function () { S.deal = null; apply(); });
    box.appendChild(back);
    box.appendChild(el("h2", nameOf(c.from) + " \u2192 " + nameOf(c.to)));
    var dl = el("dl", null, "ffv-figures");
    [["id", id], ["kind", c.kind], ["amount", c.amount_text], ["status", c.status],
     ["confidence", c.confidence || "not given"], ["deal", c.deal || "none"]].concat(c.dates).forEach(function (f) {
      dl.appendChild(el("dt", f[0])); dl.appendChild(el("dd", f[1]));
    });
    box.appendChild(dl);
    if (c.note) { box.appendChild(el("p", c.note, "ffv-meta")); }
    box.appendChild(el("h3", "Sources"));
    box.appendChild(sourcesList(c.sources));
    if (c.deal) {
      var legs = Object.keys(C).filter(function (k) { return k !== id && C[k].deal === c.deal; });
      box.appendChild(el("h3", "Other legs of deal " + c.deal + ": " + legs.length));
      var ul = el("ul", null, "ffv-legs");
      legs.forEach(function (k) {
        var li = el("li"), b = el("button", nameOf(C[k].from) + " \u2192 " + nameOf(C[k].to) + ": " + C[k].kind + " " + C[k].amount_text + " (" + C[k].status + ")", "ffv-linkish");
        b.type = "button";
        b.setAttribute("data-commitment", k);
        b.addEventListener("click", function () { S.deal = k; apply(); });
        li.appendChild(b); ul.appendChild(li);
      });
      box.appendChild(ul);
    }
  }

  // ---- cycles ----------------------------------------------------------------------------
  function buildCycles() {
    var ol = q(".ffv-cycles");
    if (!ol) { return; }
    X.cycles.forEach(function (cy, k) {
      var li = el("li"), b = el("button", cy.nodes.map(nameOf).concat([nameOf(cy.nodes[0])]).join(" \u2192 ") + " \u00b7 " + cy.text, "ffv-linkish");
      b.type = "button";
      b.setAttribute("data-cycle", String(k));
      b.addEventListener("click", function () { S.cycle = S.cycle === k ? null : k; S.deal = null; apply(); });
      li.appendChild(b); ol.appendChild(li);
    });
  }
  function cycleInfo() {
    var p = q(".ffv-cycle-info");
    if (!p) { return; }
    qa("[data-cycle]").forEach(function (b) { b.setAttribute("aria-pressed", String(Number(b.getAttribute("data-cycle")) === S.cycle)); });
    if (S.cycle === null || !X.cycles[S.cycle]) { p.textContent = ""; return; }
    var cy = X.cycles[S.cycle];
    p.textContent = "Loop " + cy.nodes.concat([cy.nodes[0]]).map(nameOf).join(" \u2192 ") + ": at most " + cy.text +
      " can go round (its smallest step, the bottleneck)." + (cy.drawn ? "" : " Some of its entities are not drawn.");
  }

  // ---- cascade playback -----------------------------------------------------------------
  function cascadeInfo() {
    if (!P) { return; }
    var ol = q(".ffv-rounds");
    ol.textContent = "";
    var last = P.steps.length - 1;
    for (var k = 0; k <= Math.min(S.step, last); k += 1) {
      var st = P.steps[k];
      ol.appendChild(el("li", "Round " + st.round + ": " + (st.fell.length ? st.fell.map(nameOf).join(", ") + (st.fell.length > 1 ? " default" : " defaults") : "no new default") +
        (k === 0 ? " (the shock)" : "") + "; equity lost so far by those defaulted: " + st.lost_text + "."));
    }
    if (S.step >= last) {
      ol.appendChild(el("li", "Final: " + P.defaulted.length + " entities default; equity lost " + P.total_text +
        (P.external_loss > 0 ? "; holders without equity figures and external holders lose a further " + P.external_text : "") + "."));
    }
    q(".ffv-step").value = String(S.step);
    q(".ffv-step-label").textContent = "round " + S.step + " of " + last;
    q(".ffv-play").textContent = timer ? "Pause" : "Play";
  }
  function setStep(k) { S.step = Math.max(0, Math.min(P.steps.length - 1, k)); apply(); }
  function play() {
    if (timer) { clearInterval(timer); timer = null; cascadeInfo(); return; }
    if (S.step >= P.steps.length - 1) { S.step = 0; apply(); }
    timer = setInterval(function () {
      if (S.step >= P.steps.length - 1) { clearInterval(timer); timer = null; cascadeInfo(); return; }
      setStep(S.step + 1);
    }, 900);
    cascadeInfo();
  }

  // ---- table view -------------------------------------------------------------------------
  var sortKey = "amount", sortDir = -1;
  var COLS = [["id", "id"], ["from", "payer"], ["to", "payee"], ["kind", "kind"], ["amount", "amount"],
              ["status", "status"], ["announced", "announced"], ["confidence", "confidence"]];
  function table() {
    var tb = q(".ffv-table tbody");
    if (!tb) { return; }
    var rows = Object.keys(view.visible.edges).map(function (id) {
      var c = C[id];
      return {id: id, from: nameOf(c.from), to: nameOf(c.to), kind: c.kind, amount: c.amount,
              status: view.visible.edges[id], announced: c.announced || "", confidence: c.confidence || ""};
    });
    rows.sort(function (a, b) {
      var x = a[sortKey], y = b[sortKey];
      if (x === null) { return 1; }
      if (y === null) { return -1; }
      return (x < y ? -1 : x > y ? 1 : 0) * sortDir || (a.id < b.id ? -1 : 1);
    });
    tb.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr");
      COLS.forEach(function (c) { tr.appendChild(el("td", c[0] === "amount" ? fmt(r.amount) : r[c[0]])); });
      tb.appendChild(tr);
    });
    qa(".ffv-table th").forEach(function (th) {
      th.setAttribute("aria-sort", th.getAttribute("data-key") === sortKey ? (sortDir > 0 ? "ascending" : "descending") : "none");
    });
  }
  function buildTable() {
    var tr = q(".ffv-table thead tr");
    COLS.forEach(function (c) {
      var th = el("th"), b = el("button", c[1], "ffv-sort");
      b.type = "button";
      th.setAttribute("data-key", c[0]);
      th.setAttribute("scope", "col");
      b.addEventListener("click", function () {
        if (sortKey === c[0]) { sortDir = -sortDir; } else { sortKey = c[0]; sortDir = c[0] === "amount" ? -1 : 1; }
        table();
      });
      th.appendChild(b); tr.appendChild(th);
    });
  }

  // ---- deep links ---------------------------------------------------------------------------
  function writeHash() {
    var p = ["v=" + encodeURIComponent(root.id), "k=" + S.kinds.join(","), "t=" + S.types.join(","),
             "s=" + S.groups.join(","), "c=" + S.conf.join(",")];
    if (S.min > 0) { p.push("m=" + S.min); }
    if (S.date) { p.push("d=" + S.date); }
    if (S.focus) { p.push("e=" + encodeURIComponent(S.focus)); }
    if (S.deal) { p.push("x=" + encodeURIComponent(S.deal)); }
    if (S.cycle !== null) { p.push("y=" + (S.cycle + 1)); }
    if (P && S.step !== null) { p.push("r=" + S.step); }
    var h = "#" + p.join("&");
    if (location.hash !== h) {
      try { history.replaceState(null, "", h); } catch (err) { /* a sandboxed frame */ }
    }
    var out = q(".ffv-link");
    if (out) { out.value = location.href; }
  }
  function readHash() {
    var h = location.hash.replace(/^#/, ""), m = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { m[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    if (m.v !== root.id) { return false; }
    var list = function (x, allowed) { return x ? x.split(",").filter(function (y) { return has(allowed, y); }) : []; };
    var kinds = Object.keys(C).map(function (k) { return C[k].kind; });
    if ("k" in m) { S.kinds = list(m.k, kinds.concat(X.initial.kinds)); }
    if ("t" in m) { S.types = list(m.t, X.types); }
    if ("s" in m) { S.groups = list(m.s, ["binding", "nonbinding", "lapsed"]); }
    if ("c" in m) { S.conf = list(m.c, X.confidence); }
    S.min = m.m ? Math.max(0, Number(m.m) || 0) : 0;
    S.date = m.d && /^\d{4}-\d{2}-\d{2}$/.test(m.d) ? m.d : null;
    S.focus = m.e && E[m.e] ? m.e : null;
    S.deal = m.x && C[m.x] ? m.x : null;
    S.cycle = m.y && X.cycles[Number(m.y) - 1] ? Number(m.y) - 1 : null;
    if (P && m.r !== undefined) { S.step = Math.max(0, Math.min(P.steps.length - 1, Number(m.r) || 0)); }
    return true;
  }

  // ---- controls ------------------------------------------------------------------------------
  var dayMs = 86400000;
  function dayIndex(iso) { return Math.round((Date.parse(iso + "T00:00:00Z") - Date.parse(X.date_min + "T00:00:00Z")) / dayMs); }
  function dayIso(k) { return new Date(Date.parse(X.date_min + "T00:00:00Z") + k * dayMs).toISOString().slice(0, 10); }
  function syncControls() {
    qa("[data-filter]").forEach(function (box) {
      var list = S[box.getAttribute("data-filter")];
      box.checked = has(list, box.value);
    });
    var mn = q(".ffv-min");
    if (mn && Number(mn.value || 0) !== S.min) { mn.value = S.min > 0 ? String(S.min) : ""; }
    var sl = q(".ffv-date");
    if (sl) {
      var max = Number(sl.max);
      sl.value = String(S.date ? Math.min(max, dayIndex(S.date)) : max);
      q(".ffv-date-label").textContent = S.date ? "as of " + S.date : "all dates" + (X.date_max ? " (to " + X.date_max + ")" : "");
      var di = q(".ffv-date-input");
      if (di) { di.value = S.date || ""; }
    }
  }
  function toggle(name, value, on) {
    var list = S[name].filter(function (x) { return x !== value; });
    if (on) { list.push(value); }
    S[name] = list;
  }
  function exportPng() {
    var cv = q(".ffv-canvas canvas");
    var off = document.createElement("canvas");
    off.width = cv.width; off.height = cv.height;
    var ctx = off.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, off.width, off.height);
    ctx.drawImage(cv, 0, 0);
    var a = document.createElement("a");
    a.download = (root.id || "network") + ".png";
    a.href = off.toDataURL("image/png");
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  function search(text) {
    var t = text.trim().toLowerCase(), out = [];
    if (!t) { return out; }
    Object.keys(E).forEach(function (id) {
      var words = E[id].name.toLowerCase().split(/[\s(),.-]+/);
      var score = id.toLowerCase().indexOf(t) === 0 || E[id].name.toLowerCase().indexOf(t) === 0 ? 0 :
        words.some(function (w) { return w && w.indexOf(t) === 0; }) ? 1 : -1;
      if (score >= 0) { out.push([score, id in vis.nodes ? 0 : 1, -(nodes.get(id).ffMetric || 0), id]); }
    });
    out.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || (a[3] < b[3] ? -1 : 1); });
    return out.map(function (x) { return x[3]; });
  }
  function focusOn(id) {
    S.focus = id; S.deal = null; S.cycle = null;
    apply();
    if (id in vis.nodes) {
      // frame the entity and its counterparties, never closer than the opening zoom x 1.4
      network.selectNodes([id]);
      var around = view.bright ? Object.keys(view.bright.nodes) : [id];
      network.fit({nodes: around, animation: false});
      if (network.getScale() > 1.4 * view.openingScale) {
        network.moveTo({position: network.getViewPosition(), scale: 1.4 * view.openingScale, animation: false});
      }
    }
  }
  function wire() {
    qa("[data-filter]").forEach(function (box) {
      box.addEventListener("change", function () { toggle(box.getAttribute("data-filter"), box.value, box.checked); apply(); });
    });
    var mn = q(".ffv-min");
    mn.addEventListener("input", function () { S.min = Math.max(0, Number(mn.value) || 0); apply(); });
    var sl = q(".ffv-date");
    if (X.date_min && X.date_max) {
      sl.min = "0"; sl.max = String(Math.max(0, dayIndex(X.date_max)));
      sl.addEventListener("input", function () {
        var k = Number(sl.value);
        S.date = k >= Number(sl.max) ? null : dayIso(k);
        apply();
      });
      var di = q(".ffv-date-input");
      di.min = X.date_min; di.max = X.date_max;
      di.addEventListener("change", function () { S.date = /^\d{4}-\d{2}-\d{2}$/.test(di.value) ? di.value : null; apply(); });
    } else {
      sl.disabled = true;
    }
    q(".ffv-reset").addEventListener("click", function () {
      stop(); S = initialState(); q(".ffv-search").value = ""; q(".ffv-matches").textContent = "";
      apply(); network.fit();
    });
    q(".ffv-export").addEventListener("click", exportPng);
    var box = q(".ffv-search"), res = q(".ffv-matches");
    function show() {
      res.textContent = "";
      search(box.value).slice(0, 8).forEach(function (id) {
        var b = el("button", E[id].name + " (" + id + ")", "ffv-linkish");
        b.type = "button";
        b.setAttribute("data-entity", id);
        b.addEventListener("click", function () { focusOn(id); });
        res.appendChild(b);
      });
      if (box.value.trim() && !res.childNodes.length) { res.appendChild(el("span", "no match", "ffv-meta")); }
    }
    box.addEventListener("input", show);
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { var m = search(box.value); if (m.length) { focusOn(m[0]); } ev.preventDefault(); }
    });
    root.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { S.focus = null; S.deal = null; S.cycle = null; apply(); }
    });
    network.on("click", function (p) {
      if (p.nodes && p.nodes.length) { S.focus = String(p.nodes[0]); S.deal = null; S.cycle = null; apply(); }
      else if (p.edges && p.edges.length) { S.deal = String(p.edges[0]); apply(); }
      else if (S.focus || S.deal) { S.focus = null; S.deal = null; apply(); }
    });
    if (P) {
      q(".ffv-play").addEventListener("click", play);
      q(".ffv-prev").addEventListener("click", function () { stop(); setStep(S.step - 1); });
      q(".ffv-next").addEventListener("click", function () { stop(); setStep(S.step + 1); });
      var st = q(".ffv-step");
      st.max = String(P.steps.length - 1);
      st.addEventListener("input", function () { stop(); setStep(Number(st.value)); });
    }
    var cp = q(".ffv-copy");
    cp.addEventListener("click", function () {
      writeHash();
      var out = q(".ffv-link");
      out.hidden = false; out.focus(); out.select();
      try { if (navigator.clipboard) { navigator.clipboard.writeText(location.href).catch(function () {}); } } catch (err) { /* no clipboard */ }
    });
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  // labels at least 10 px on screen at the opening zoom
  function readableLabels() {
    var s = network.getScale(), up = [];
    nodes.get().forEach(function (n) {
      var size = n.font && n.font.size ? n.font.size : 14;
      if (size * s < 10.5) {
        var f = JSON.parse(JSON.stringify(n.font || {}));
        f.size = Math.ceil(10.5 / s);
        up.push({id: n.id, font: f});
        base.nodes[n.id].font = f;
      }
    });
    if (up.length) { nodes.update(up); }
  }

  view.openingScale = network.getScale();
  S = initialState();
  buildCycles();
  buildTable();
  wire();
  readableLabels();
  readHash();
  apply();
  window.addEventListener("hashchange", function () { if (readHash()) { apply(); } });
  view.state = function () { return JSON.parse(JSON.stringify(S)); };
  view.focusOn = focusOn;
  view.search = search;
}
