/* Demo store: shows how a page observes the widget's view hook (a real store would send these
   to its analytics). Every `vitrine:view` event is counted in the footer. */
(function () {
  "use strict";
  var seen = [];
  document.addEventListener("vitrine:view", function (event) {
    seen.push(event.detail.item_id);
    var log = document.getElementById("view-log");
    if (log) log.textContent = seen.length + " widget item" + (seen.length === 1 ? "" : "s") + " seen (last: " +
      event.detail.item_id + " in the " + event.detail.placement + " widget)";
  });
})();
