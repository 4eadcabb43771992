/* Twin page: a change to this twin refetches the page and swaps in its live parts (the server renders
   them once, for the page and for the refresh); the alerts refetch every few seconds (the charts are chart.js's). */
(function () {
  "use strict";
  var page = document.querySelector(".twin-page");
  if (!page) return;
  var id = page.dataset.twinId;

  function refreshPage() {
    DTP.fragment(location.pathname).then(function (frag) {
      if (!frag) return;
      var fresh = frag.querySelector(".twin-page");
      if (!fresh) return;
      page.className = fresh.className;
      page.dataset.status = fresh.dataset.status;
      page.querySelectorAll("[data-live][id]").forEach(function (old) {
        var el = fresh.querySelector("#" + CSS.escape(old.id));
        if (el) DTP.swap(old, el);
      });
    });
  }

  var changed = DTP.batched(refreshPage, 150);

  // The charts (uPlot, reading the series API) are drawn and kept live by chart.js; the alerts beside them
  // are a server-rendered fragment, refetched.
  var alertsBox = document.getElementById("alerts-box");
  function refreshAlerts() {
    if (document.hidden || !alertsBox) return;
    DTP.fragment(alertsBox.dataset.url).then(function (frag) {
      var body = frag && frag.querySelector("#alerts-body");
      var old = document.getElementById("alerts-body");
      if (body && old) DTP.swap(old, body);
    });
  }

  DTP.on("twin.update", function (p) { if (p.twin && p.twin.id === id) changed(); });
  DTP.on("twin.delete", function (p) {
    if (p.id !== id) return;
    if (p.deleted) {  // the page itself is gone (a refetch answers 404): say so where the status is
      page.dataset.status = "deleted";
      page.className = "twin-page status-deleted";
      page.querySelector('.twin-head [data-field="status"]').textContent = "deleted";
      return;
    }
    changed();
  });
  DTP.on("twin.alert", function (p) { if (p.twin_id === id) { changed(); refreshAlerts(); } });
  if (alertsBox) setInterval(refreshAlerts, 5000);
})();
