/* Home and spec-errors pages: the cards (or rows) on this page follow the stream; the rest of the
   twins are a page away. Cards are rendered by the server only: a changed twin's card is fetched
   from /cards/ (the same template as the page), its values from /cards/values/ every few seconds;
   the spec-errors panel from the errors page. */
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var esc = function (s) { return CSS.escape(String(s)); };
  var VALUES_EVERY = 5000;
  var pending = new Set(), offPage = new Set();

  function groups() { return $("#groups"); }
  function shown(id) { var g = groups(); return g && $('[data-twin-id="' + esc(id) + '"]', g); }
  function ids() { return $$("[data-twin-id]", groups()).map(function (el) { return el.dataset.twinId; }); }

  function query(list) {
    var u = new URLSearchParams();
    list.forEach(function (id) { u.append("id", id); });
    return u;
  }

  function refreshCards() {
    var list = Array.from(pending);
    pending.clear();
    if (!list.length) return;
    var g = groups(), u = query(list);
    u.set("view", g.dataset.view);
    DTP.fragment(g.dataset.cardsUrl + "?" + u).then(function (frag) {
      if (!frag) { list.forEach(function (id) { pending.add(id); }); return; }  // the next event retries
      var got = new Set();
      $$("[data-twin-id]", frag).forEach(function (fresh) {
        var old = shown(fresh.dataset.twinId);
        got.add(fresh.dataset.twinId);
        if (old) DTP.swap(old, fresh);
      });
      list.forEach(function (id) { var el = !got.has(id) && shown(id); if (el) el.remove(); });  // gone or hidden
    });
  }

  var refreshSoon = DTP.batched(refreshCards, 150);

  function changed(id) {
    pending.add(id);
    refreshSoon();
  }

  function heartbeat(p) {
    var rc = p.runtime_changed || [];
    return rc.length === 1 && rc[0] === "last_seen";
  }

  function elsewhere(id) {
    offPage.add(id);
    var note = $("#offpage");
    if (!note) return;
    var n = offPage.size;
    $('[data-part="text"]', note).textContent = n + " twin" + (n === 1 ? "" : "s") +
      " not on this page changed or appeared.";
    note.classList.remove("hidden");
  }

  function onTwin(id, p) {
    var el = shown(id);
    if (el && heartbeat(p)) {
      // Only the time moved: the <time> the server rendered takes the new instant.
      var t = $('[data-field="last_seen"] time', el), when = p.twin && p.twin.runtime && p.twin.runtime.last_seen;
      if (t && when) { t.setAttribute("datetime", when); DTP.times(el); return; }
    }
    if (el) changed(id);
    else if (!heartbeat(p)) elsewhere(id);
  }

  function refreshValues() {
    var g = groups();
    if (!g || document.hidden) return;
    var list = ids();
    if (!list.length) return;
    DTP.fragment(g.dataset.valuesUrl + "?" + query(list)).then(function (frag) {
      if (!frag) return;
      $$("[data-values-for]", frag).forEach(function (fresh) {
        $$('[data-values-for="' + esc(fresh.dataset.valuesFor) + '"]', g).forEach(function (old) {
          DTP.swap(old, fresh.cloneNode(true));
        });
      });
    });
  }

  // The spec-errors panel is the server's too: a spec.error refetches the errors page and takes its panel.
  function specError() {
    var panel = $("#spec-errors");
    if (!panel) return;
    DTP.fragment(panel.dataset.url).then(function (frag) {
      var fresh = frag && $("#spec-errors", frag);
      if (!fresh) return;
      DTP.swap(panel, fresh);
      var ok = $("#no-errors");
      if (ok) ok.classList.toggle("hidden", !!$("li", panel));
    });
  }

  DTP.on("twin.update", function (p) { if (p.twin && groups()) onTwin(p.twin.id, p); });
  DTP.on("twin.delete", function (p) { if (groups()) onTwin(p.id, p); });
  DTP.on("spec.error", specError);
  document.addEventListener("DOMContentLoaded", function () {
    // The filters are a plain GET form (live.js applies them); the notice reloads this very page.
    var reload = $("#offpage a");
    if (reload) reload.setAttribute("href", location.href);
    if (groups()) setInterval(refreshValues, VALUES_EVERY);
  });
})();
