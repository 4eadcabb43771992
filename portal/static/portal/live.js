/* One EventSource per page: connection indicator, header badges, catch-up after reconnect.
   Page scripts subscribe with DTP.on(type, fn). Data is only ever written with textContent; markup
   comes from the server (DTP.fragment fetches what the page's own templates render).
   Times: <time class="rel" datetime="..."> shows "12 s ago", the exact time on hover. */
(function () {
  "use strict";
  var TYPES = ["twin.update", "twin.delete", "twin.alert", "service.update", "spec.error", "health.update",
               "alarm.raise", "alarm.update", "alarm.clear"];
  var handlers = {};
  var lastId = "";     // the compound SSE id django-eventstream sends ("all:42")
  var seen = new Set(); // PortalEvent ids applied, so an event replayed after a reconnect is applied once
  var es = null, delay = 1000, timer = null, opened = false;

  function on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); }

  function setConn(state) {
    var el = document.getElementById("conn");
    if (!el) return;
    el.className = "conn conn-" + state;
    el.dataset.state = state;
    el.querySelector("span").textContent = state;
  }

  function touchUpdated(iso) {
    var t = document.getElementById("updated");
    if (!t) return;
    var when = iso ? new Date(iso) : new Date();
    t.setAttribute("datetime", when.toISOString());
    t.textContent = when.toISOString().slice(11, 19);
  }

  function applyHealth(h) {
    (h.badges || []).concat([{ key: "health", state: h.health, detail: "all checks" }]).forEach(function (b) {
      var el = document.querySelector('[data-badge="' + CSS.escape(b.key) + '"]');
      if (!el) return;
      el.className = "hb hb-" + b.state;
      el.title = b.detail || "";
      el.querySelector("em").textContent = b.state;
    });
  }

  function refreshHealth() {
    fetch(document.body.dataset.healthUrl, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (h) { if (h) applyHealth(h); })
      .catch(function () {});
  }

  function dispatch(type, e) {
    if (e.lastEventId) lastId = e.lastEventId;
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (data && data.event && data.event.id) {
      if (seen.has(data.event.id)) return;
      seen.add(data.event.id);
      touchUpdated(data.event.created_at);
    }
    (handlers[type] || []).concat(handlers["*"] || []).forEach(function (fn) {
      try { fn(data, type); } catch (err) { console.error(err); }
    });
  }

  function streamUrl() {
    var u = new URL(document.body.dataset.streamUrl, location.href);
    if (lastId) u.searchParams.set("lastEventId", lastId);
    return u.toString();
  }

  function reconnectLater() {
    if (es) es.close();
    setConn("reconnecting");
    clearTimeout(timer);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 8000);
  }

  function connect() {
    es = new EventSource(streamUrl());
    es.addEventListener("stream-open", function () {
      setConn("connected");
      delay = 1000;
      if (opened) refreshHealth();   // events were replayed from Last-Event-ID; badges are fetched
      opened = true;
    });
    TYPES.forEach(function (t) { es.addEventListener(t, function (e) { dispatch(t, e); }); });
    es.addEventListener("stream-reset", function () { location.reload(); });  // we fell out of the window
    es.addEventListener("stream-error", reconnectLater);
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) reconnectLater();
      else setConn("reconnecting");  // the browser retries with Last-Event-ID itself
    };
  }

  // --- relative times ---------------------------------------------------------------------------
  function ago(ms) {
    var s = Math.round(ms / 1000), future = s < 0, n, unit;
    s = Math.abs(s);
    if (s < 60) { n = s; unit = "s"; }
    else if (s < 3600) { n = Math.floor(s / 60); unit = "min"; }
    else if (s < 86400) { n = Math.floor(s / 3600); unit = "h"; }
    else { n = Math.floor(s / 86400); unit = "d"; }
    return future ? "in " + n + " " + unit : n + " " + unit + " ago";
  }

  function exact(d) {
    return d.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }

  function times(root) {
    var now = Date.now();
    (root || document).querySelectorAll("time.rel").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      var title = exact(d);
      if (t.title !== title) t.title = title;
      var text = ago(now - d.getTime());
      if (t.textContent !== text) t.textContent = text;
    });
  }

  // --- server-rendered fragments ------------------------------------------------------------------
  function fragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (html === null) return null;
        var tpl = document.createElement("template");
        tpl.innerHTML = html;  // our own templates' output, escaped by Django; no script runs from it
        times(tpl.content);
        return tpl.content;
      })
      .catch(function () { return null; });
  }

  // Replace an element's attributes and children in place (observers of the element see the change).
  function swap(old, fresh) {
    Array.prototype.slice.call(old.attributes).forEach(function (a) {
      if (!fresh.hasAttribute(a.name)) old.removeAttribute(a.name);
    });
    Array.prototype.slice.call(fresh.attributes).forEach(function (a) {
      if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    });
    old.replaceChildren.apply(old, Array.prototype.slice.call(fresh.childNodes));
  }

  // Filter forms are plain GET forms; empty fields are left out of the URL so it stays short to share.
  // A chosen option or a ticked box applies at once; text applies on Enter or the button.
  function cleanGet(form) {
    form.querySelectorAll("select, input[type=checkbox]").forEach(function (el) {
      el.addEventListener("change", function () { form.requestSubmit(); });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var u = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (String(v).trim()) u.append(k, String(v).trim()); });
      var q = u.toString();
      location.assign(form.action + (q ? "?" + q : ""));
    });
  }

  on("health.update", applyHealth);
  // A refresh that runs at once on the first change of a quiet spell, and at most once per `ms` after
  // it: a burst of events costs one or two fetches, a single edit none of the wait.
  function batched(fn, ms) {
    var timer = null, last = -Infinity;
    function run() { timer = null; last = Date.now(); fn(); }
    return function () {
      if (!timer) timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
    };
  }

  window.DTP = { on: on, fragment: fragment, swap: swap, times: times, batched: batched };
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('form[role="search"][method="get"]').forEach(cleanGet);
    times();
    setInterval(function () { if (!document.hidden) times(); }, 1000);
    if (document.body.dataset.streamUrl) connect();  // the sign-in page has no stream
  });
})();
