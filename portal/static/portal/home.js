/* Home and spec-errors pages: cards and the errors panel follow the stream. */
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var esc = function (s) { return CSS.escape(String(s)); };

  function domainOf(meta) {
    var d = meta && meta.domain;
    if (Array.isArray(d)) return d.length ? String(d[0]) : "no domain";
    return d ? String(d) : "no domain";
  }

  function cardFields(t) {
    var deps = t.dependencies || {};
    return {
      id: t.id, name: (t.ui && t.ui.name) || t.name, tenant: t.tenant, domain: domainOf(t.metadata),
      status: t.status, streams: (t.streams || []).length,
      dependencies: (deps.static || []).length + (deps.dynamic || []).length,
      last_seen: (t.runtime && t.runtime.last_seen) || "never", ui_url: (t.ui && t.ui.url) || "",
      liveness: (t.runtime && t.runtime.liveness) || ""
    };
  }

  function group(tenant, domain) {
    var groups = $("#groups");
    var sec = $('section.tenant[data-tenant="' + esc(tenant) + '"]', groups);
    if (!sec) {
      sec = document.createElement("section");
      sec.className = "tenant";
      sec.dataset.tenant = tenant;
      var h = document.createElement("h2");
      h.textContent = tenant + " ";
      var small = document.createElement("small");
      small.setAttribute("data-count", "");
      h.appendChild(small);
      sec.appendChild(h);
      groups.appendChild(sec);
      var sel = $('#filters select[name="tenant"]');
      if (sel) { var o = document.createElement("option"); o.textContent = tenant; sel.appendChild(o); }
    }
    var dom = $('.domain[data-domain="' + esc(domain) + '"]', sec);
    if (!dom) {
      dom = document.createElement("div");
      dom.className = "domain";
      dom.dataset.domain = domain;
      var dh = document.createElement("h3");
      dh.className = "domain-h";
      dh.textContent = domain;
      var cards = document.createElement("div");
      cards.className = "cards";
      dom.appendChild(dh);
      dom.appendChild(cards);
      sec.appendChild(dom);
    }
    return $(".cards", dom);
  }

  function fill(card, f) {
    card.dataset.twinId = f.id;
    card.dataset.tenant = f.tenant;
    card.dataset.domain = f.domain;
    card.dataset.status = f.status;
    card.className = "card status-" + f.status;
    ["id", "name", "status", "streams", "dependencies", "last_seen"].forEach(function (k) {
      var el = $('[data-field="' + k + '"]', card);
      if (el) el.textContent = String(f[k]);
    });
    $('[data-field="name"]', card).setAttribute("href", "/twins/" + encodeURIComponent(f.id) + "/");
    var live = $('[data-field="liveness"]', card);
    if (live) {
      live.textContent = f.liveness || "no data";
      live.className = "live live-" + (f.liveness || "unknown");
    }
    var ui = $('[data-field="ui_url"]', card);
    ui.classList.toggle("hidden", !f.ui_url);
    ui.setAttribute("href", f.ui_url || "#");
  }

  function upsert(t) {
    if (!$("#groups")) return;
    var f = cardFields(t);
    var card = $('.card[data-twin-id="' + esc(f.id) + '"]');
    if (!card) card = $("#card-template").content.firstElementChild.cloneNode(true);
    var target = group(f.tenant, f.domain);
    fill(card, f);
    if (card.parentNode !== target) target.appendChild(card);
    tidy();
  }

  function tidy() {
    $$(".domain").forEach(function (d) { if (!$(".card", d)) d.remove(); });
    $$("section.tenant").forEach(function (s) {
      var n = $$(".card", s).length;
      if (!n) { s.remove(); return; }
      $("[data-count]", s).textContent = n + " twin" + (n === 1 ? "" : "s");
    });
    var empty = $("#empty");
    if (empty) empty.classList.toggle("hidden", !!$(".card"));
    applyFilters();
  }

  function applyFilters() {
    var form = $("#filters");
    if (!form) return;
    var tenant = form.tenant.value, status = form.status.value, domain = form.domain.value;
    var q = form.q.value.trim().toLowerCase(), shown = 0;
    $$(".card").forEach(function (c) {
      var name = ($('[data-field="name"]', c).textContent || "").toLowerCase();
      var ok = (!tenant || c.dataset.tenant === tenant) && (!status || c.dataset.status === status) &&
        (!domain || c.dataset.domain === domain) &&
        (!q || name.indexOf(q) >= 0 || c.dataset.twinId.toLowerCase().indexOf(q) >= 0);
      c.classList.toggle("hidden", !ok);
      if (ok) shown++;
    });
    $$(".domain").forEach(function (d) { d.classList.toggle("hidden", !$(".card:not(.hidden)", d)); });
    $$("section.tenant").forEach(function (s) { s.classList.toggle("hidden", !$(".card:not(.hidden)", s)); });
    $("#shown").textContent = shown + " shown";
  }

  function specError(p) {
    var list = $("#spec-error-list");
    if (!list) return;
    $$('li[data-path="' + esc(p.path) + '"]', list).forEach(function (li) { li.remove(); });
    (p.errors || []).forEach(function (e) {
      var li = document.createElement("li");
      li.dataset.path = p.path;
      var code = document.createElement("code");
      code.textContent = p.path + ":" + e.line + ":" + e.column;
      var msg = document.createElement("span");
      msg.textContent = e.message;
      li.appendChild(code);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(msg);
      list.appendChild(li);
    });
    var any = !!$("li", list);
    $("#spec-errors").classList.toggle("hidden", !any);
    var ok = $("#no-errors");
    if (ok) ok.classList.toggle("hidden", any);
  }

  DTP.on("twin.update", function (p) { if (p.twin) upsert(p.twin); });
  DTP.on("twin.delete", function (p) {
    var card = $('.card[data-twin-id="' + esc(p.id) + '"]');
    if (!card) return;
    if (p.deleted) { card.remove(); tidy(); return; }
    card.dataset.status = p.status || "deprecated";
    card.className = "card status-" + card.dataset.status;
    $('[data-field="status"]', card).textContent = card.dataset.status;
    applyFilters();
  });
  DTP.on("spec.error", specError);
  document.addEventListener("DOMContentLoaded", function () {
    var form = $("#filters");
    if (!form) return;
    var params = new URLSearchParams(location.search);
    ["tenant", "status", "domain", "q"].forEach(function (k) { if (params.get(k)) form[k].value = params.get(k); });
    // Filtering is live; Enter in the search box must not reload the page (no inline handler: the CSP forbids it).
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("input", applyFilters);
    form.addEventListener("change", applyFilters);
    applyFilters();
  });
})();
