/* Events page: newer events that match the page's filters arrive on top, rendered by the server
   (/events/rows/ is the template the page itself uses). */
(function () {
  "use strict";

  function newest(body) {
    var first = body.querySelector("tr[data-event-id]");
    return first ? Number(first.dataset.eventId) : 0;
  }

  function refresh() {
    var body = document.getElementById("event-rows");
    var url = body.dataset.rowsUrl + (body.dataset.rowsUrl.indexOf("?") >= 0 ? "&" : "?") + "after=" + newest(body);
    DTP.fragment(url).then(function (frag) {
      if (!frag) return;
      var top = body.firstChild;
      Array.prototype.slice.call(frag.querySelectorAll("tr[data-event-id]")).forEach(function (tr) {
        if (body.querySelector('tr[data-event-id="' + CSS.escape(tr.dataset.eventId) + '"]')) return;
        body.insertBefore(tr, top);
      });
      var none = document.getElementById("no-events");
      if (none && body.querySelector("tr")) none.remove();
    });
  }

  var refreshSoon = DTP.batched(refresh, 150);

  DTP.on("*", function (p) {
    var body = document.getElementById("event-rows");
    // Health badges are not stored events; a page of older events does not take new ones.
    if (!p.event || !body || !body.dataset.rowsUrl) return;
    refreshSoon();
  });
})();
