/* Demo store: how a store wires its own buttons to the widget's tracking, and observes its hooks.
 *
 * - "Add to cart", "remove" and "Place order" are the store's own forms: before they submit, they
 *   tell Vitrine (Vitrine.track, which waits for the event to be stored, at most 800 ms);
 * - every `vitrine:view` event is counted in the footer (a real store would send it to analytics). */
(function () {
  "use strict";
  var seen = [];
  document.addEventListener("vitrine:view", function (event) {
    seen.push(event.detail.item_id);
    var log = document.getElementById("view-log");
    if (log) log.textContent = seen.length + " widget item" + (seen.length === 1 ? "" : "s") + " seen (last: " +
      event.detail.item_id + " in the " + event.detail.placement + " widget)";
  });

  function sendThenSubmit(form, events) {
    var done = false;
    function submit() { if (!done) { done = true; form.submit(); } }
    Promise.all(events.map(function (e) { return window.Vitrine.track(e.type, e.fields); })).then(submit, submit);
    setTimeout(submit, 800);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target, kind = form.getAttribute("data-track");
    if (!kind || !window.Vitrine || !window.Vitrine.track) return;
    event.preventDefault();
    if (kind !== "purchase") {
      sendThenSubmit(form, [{ type: kind, fields: { item_id: form.getAttribute("data-item-id") } }]);
      return;
    }
    var items = (form.getAttribute("data-lines") || "").split(",").filter(Boolean);
    var prices = (form.getAttribute("data-prices") || "").split(",");
    var order = "demo-" + Date.now().toString(36);
    sendThenSubmit(form, items.map(function (item, i) {
      return { type: "purchase", fields: { item_id: item, order_id: order, quantity: 1,
                                           price: parseFloat(prices[i]) || 0 } };
    }));
  });
})();
