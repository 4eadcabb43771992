/* One EventSource per page: connection indicator, header badges, catch-up after reconnect.
   Page scripts subscribe with DTP.on(type, fn). Data is only ever written with textContent. */
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

  on("health.update", applyHealth);
  window.DTP = { on: on };
  document.addEventListener("DOMContentLoaded", connect);
})();
