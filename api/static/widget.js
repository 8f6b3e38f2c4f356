/* Vitrine storefront widget.
 *
 *   <script src="https://vitrine.example/widget.js" defer></script>
 *   <div data-vitrine-placement="product" data-item-id="p00042"></div>
 *
 * Which list a placeholder shows depends on its attributes (first match wins):
 *   data-cart="p1,p2"   complements of a basket        POST /v1/cart/complements  (empty: as if absent)
 *   data-item-id="p1"   related products               GET  /v1/items/{id}/related
 *   data-category="c"   best sellers of a category     GET  /v1/popular?category=c
 *   data-user-id="u1"   picks for a customer           GET  /v1/users/{id}/recommendations
 *   (none)              picks for this visitor         GET  /v1/visitors/{id}/recommendations
 *                       (best sellers, /v1/popular, when tracking is off)
 * Optional: data-n (default 8), data-title, data-title-popular (title when the answer is best sellers),
 * data-api (base URL; default: where this script came from), data-link="/product/{item_id}" (card
 * links; default: the catalog's url of each item), data-currency="EUR", data-timeout (ms).
 * Cards show the catalog's image_url (lazy-loaded; a coloured letter tile when there is none or it
 * fails to load). The row scrolls by swipe; on a pointer device, arrows overlaid on its ends.
 *
 * Tracking (POST /v1/events, docs/console.md). On the script tag: data-user-id (the logged-in
 * customer) and data-consent ("false": nothing is stored or sent until Vitrine.consent(true)).
 * With consent the widget keeps a first-party visitor id in localStorage ("vitrine_visitor") and
 * sends: a view for an element marked data-vitrine-product="p1" (the product page), an impression
 * for each card at least half visible (once), a click (navigator.sendBeacon) and whatever the page
 * sends with Vitrine.track("cart", {item_id: "p1"}) (also remove_from_cart, purchase with order_id,
 * price and quantity). Vitrine.consent(false) deletes the visitor id and stops sending.
 *
 * The widget calls the API with fetch() in CORS mode and without cookies, so the API's
 * VITRINE_CORS_ORIGINS decides which stores may use it; events go as text/plain (no preflight).
 * On any error (network, status, timeout, empty list) the placeholder stays empty. Events
 * (bubbling CustomEvents on the placeholder, so `document.addEventListener` sees them all):
 *   vitrine:render  {placement, strategy, model_version, items}
 *   vitrine:view    {placement, item_id, position, strategy, model_version}  once per shown item,
 *                   when at least half of its card is on screen
 *   vitrine:click   {placement, item_id, position, strategy, model_version}
 *   vitrine:error   {placement, status, message}
 * `data-vitrine-state` on the placeholder is loading, ready, empty or error.
 */
(function () {
  "use strict";
  if (window.Vitrine && window.Vitrine.version) { window.Vitrine.scan(); return; }

  var script = document.currentScript;
  var DEFAULT_API = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var VISITOR_KEY = "vitrine_visitor";
  var consented = !(script && script.getAttribute("data-consent") === "false");
  var customer = (script && script.getAttribute("data-user-id")) || null;
  var memoryVisitor = null;  // when localStorage is unavailable: this page's visitor only
  var pending = [];          // events waiting for the next flush
  var flushTimer = null;
  var inFlight = Promise.resolve();
  var STYLE_ID = "vitrine-widget-style";
  var CSS = [
    ".vitrine-widget{font:14px/1.35 system-ui,sans-serif;margin:1rem 0;color:#222}",
    ".vitrine-title{font-size:1.05rem;margin:0 0 .5rem}",
    ".vitrine-row{position:relative}",
    ".vitrine-track{display:flex;gap:.75rem;overflow-x:auto;scroll-snap-type:x mandatory;scroll-behavior:smooth;",
    "padding:.25rem 0 .5rem;scrollbar-width:thin;-webkit-overflow-scrolling:touch;overscroll-behavior-x:contain}",
    /* 1.5 cards at least on a phone (390 px), about 5.5 on a desktop row */
    ".vitrine-card{flex:0 0 clamp(9rem,42%,11.5rem);scroll-snap-align:start;border:1px solid #ddd;border-radius:8px;",
    "padding:.6rem;background:#fff;color:inherit;text-decoration:none;display:flex;flex-direction:column;gap:.3rem;",
    "box-sizing:border-box;min-width:0}",
    "a.vitrine-card:hover{border-color:#888}",
    ".vitrine-thumb{aspect-ratio:1/1;width:100%;border-radius:6px;display:flex;align-items:center;",
    "justify-content:center;font-weight:600;color:#fff;font-size:1.6rem;overflow:hidden;background:#eee}",
    ".vitrine-thumb img{width:100%;height:100%;object-fit:cover;display:block}",
    ".vitrine-name{font-weight:600;overflow-wrap:anywhere}",
    ".vitrine-price{color:#0a6b2d;font-weight:600}",
    ".vitrine-reason{color:#666;font-size:.85em}",
    ".vitrine-nav{position:absolute;top:35%;z-index:1;border:1px solid #ccc;background:rgba(255,255,255,.92);",
    "border-radius:50%;width:2.2rem;height:2.2rem;cursor:pointer;font-size:1.1rem;line-height:1;",
    "box-shadow:0 1px 4px rgba(0,0,0,.2);padding:0}",
    ".vitrine-nav.vitrine-prev{left:.2rem}.vitrine-nav.vitrine-next{right:.2rem}",
    ".vitrine-nav[disabled]{opacity:0;pointer-events:none}",
    /* touch screens swipe the row: no arrows there */
    "@media (hover:none) and (pointer:coarse){.vitrine-nav{display:none}}",
  ].join("");

  function emit(el, name, detail) {
    el.dispatchEvent(new CustomEvent("vitrine:" + name, { detail: detail, bubbles: true }));
  }

  function attr(el, name, fallback) {
    var value = el.getAttribute(name);
    return value === null || value === "" ? fallback : value;
  }

  function request(el) {
    var api = attr(el, "data-api", DEFAULT_API).replace(/\/+$/, "");
    var placement = attr(el, "data-vitrine-placement", "home");
    var n = Math.max(1, Math.min(24, parseInt(attr(el, "data-n", "8"), 10) || 8));
    var query = "?n=" + n + "&placement=" + encodeURIComponent(placement);
    var items = (el.getAttribute("data-cart") || "").split(",").map(function (s) { return s.trim(); })
      .filter(Boolean);
    var item = attr(el, "data-item-id", null);
    var category = attr(el, "data-category", null);
    var user = attr(el, "data-user-id", customer);
    var visitor = visitorId(false);
    // the visitor id (with consent) puts item, cart and best-seller lists in a placement's experiment too
    var who = visitor ? "visitor_id=" + encodeURIComponent(visitor) : "";
    if (who) query += "&" + who;
    if (items.length) {
      return { url: api + "/v1/cart/complements" + (who ? "?" + who : ""), method: "POST",
               body: JSON.stringify({ items: items, n: n, placement: placement }) };
    }
    if (item) return { url: api + "/v1/items/" + encodeURIComponent(item) + "/related" + query, method: "GET" };
    if (category) return { url: api + "/v1/popular" + query + "&category=" + encodeURIComponent(category), method: "GET" };
    if (user) return { url: api + "/v1/users/" + encodeURIComponent(user) + "/recommendations" + query, method: "GET" };
    if (visitor) return { url: api + "/v1/visitors/" + encodeURIComponent(visitor) + "/recommendations" + query,
                          method: "GET" };
    return { url: api + "/v1/popular" + query, method: "GET" };
  }

  // ---- tracking ------------------------------------------------------------------------------
  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  /* The first-party visitor id; made (and stored) only with consent and when `create` asks. */
  function visitorId(create) {
    if (!consented) return null;
    var id = null;
    try { id = localStorage.getItem(VISITOR_KEY); } catch (e) { id = memoryVisitor; }
    if (!id && create) {
      id = randomId();
      try { localStorage.setItem(VISITOR_KEY, id); } catch (e) { memoryVisitor = id; }
    }
    return id;
  }

  function eventsUrl() {
    return (script && script.getAttribute("data-api") || DEFAULT_API).replace(/\/+$/, "") + "/v1/events";
  }

  /* Queue one event; sent within 250 ms, or at once with `now` (clicks use sendBeacon). */
  function track(type, fields, now) {
    if (!consented || !fields || !fields.item_id) return inFlight;
    var event = Object.assign({ type: type, event_id: randomId(), visitor_id: visitorId(true) }, fields);
    if (customer && !event.user_id) event.user_id = customer;
    pending.push(event);
    if (now === "beacon") { flush(true); return inFlight; }
    if (now) return flush(false);
    if (!flushTimer) flushTimer = setTimeout(function () { flush(false); }, 250);
    return inFlight;
  }

  function flush(beacon) {
    if (flushTimer) { clearTimeout(flushTimer); flushTimer = null; }
    if (!pending.length) return inFlight;
    var body = JSON.stringify(pending);
    pending = [];
    if (beacon && navigator.sendBeacon && navigator.sendBeacon(eventsUrl(), body)) return inFlight;
    var sent = fetch(eventsUrl(), { method: "POST", mode: "cors", credentials: "omit", keepalive: true, body: body,
                                    headers: { "Content-Type": "text/plain" } }).catch(function () {});
    inFlight = Promise.all([inFlight, sent]);
    return inFlight;
  }

  function consent(allowed) {
    consented = !!allowed;
    if (!consented) {
      pending = [];
      memoryVisitor = null;
      try { localStorage.removeItem(VISITOR_KEY); } catch (e) { /* nothing was stored */ }
    }
    return consented;
  }

  function trackProductViews(root) {
    var marked = (root || document).querySelectorAll("[data-vitrine-product]");
    Array.prototype.forEach.call(marked, function (el) {
      if (el.getAttribute("data-vitrine-tracked")) return;
      el.setAttribute("data-vitrine-tracked", "1");
      track("view", { item_id: el.getAttribute("data-vitrine-product") }, true);
    });
  }

  // ---- drawing -------------------------------------------------------------------------------
  function ensureStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  function hue(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 360;
    return h;
  }

  function formatPrice(price, currency) {
    if (typeof price !== "number" || !isFinite(price)) return "";
    try {
      if (currency) return new Intl.NumberFormat(undefined, { style: "currency", currency: currency }).format(price);
    } catch (e) { /* unknown currency code: plain number below */ }
    return price.toFixed(2);
  }

  function node(tag, className, text) {
    var el = document.createElement(tag);
    el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /* The tile behind every picture: the title's first letter on the category's colour. It is what
     shows when the catalog has no image_url or the image fails to load. */
  function fallbackTile(thumb, item) {
    thumb.textContent = (item.title || item.item_id).charAt(0).toUpperCase();
    thumb.style.background = "hsl(" + hue(item.category || item.item_id) + ",45%,52%)";
    thumb.setAttribute("data-fallback", "1");
  }

  function thumbnail(item) {
    var thumb = node("div", "vitrine-thumb");
    var source = safeLink(item.image_url);
    if (!source) { fallbackTile(thumb, item); return thumb; }
    var img = document.createElement("img");
    img.loading = "lazy";
    img.decoding = "async";
    img.alt = item.title || item.item_id;
    img.addEventListener("error", function () { img.remove(); fallbackTile(thumb, item); });
    img.src = source;
    thumb.appendChild(img);
    return thumb;
  }

  /* Where a card links: data-link ("/product/{item_id}") when the page gives one, else the
     catalog's url for the item. */
  function cardLink(el, item) {
    var link = attr(el, "data-link", null);
    if (link) return link.replace("{item_id}", encodeURIComponent(item.item_id));
    return safeLink(item.url);
  }

  /* Only http(s) URLs and site paths go into href and src (never javascript: or data:). */
  function safeLink(value) {
    return typeof value === "string" && /^(https?:\/\/[^\s\/]+|\/(?!\/))\S*$/i.test(value) ? value : null;
  }

  function card(el, item, position, meta) {
    var link = cardLink(el, item);
    var box = node(link ? "a" : "div", "vitrine-card");
    if (link) box.href = link;
    box.setAttribute("data-item-id", item.item_id);
    box.setAttribute("data-category", item.category || "");
    box.setAttribute("data-position", String(position));
    box.appendChild(thumbnail(item));
    box.appendChild(node("span", "vitrine-name", item.title || item.item_id));
    var price = formatPrice(item.price, attr(el, "data-currency", ""));
    if (price) box.appendChild(node("span", "vitrine-price", price));
    if (item.reason) box.appendChild(node("span", "vitrine-reason", item.reason));
    box.addEventListener("click", function () {
      emit(el, "click", Object.assign({ item_id: item.item_id, position: position }, meta));
      track("click", outcome(item.item_id, position, meta), "beacon");
    });
    return box;
  }

  function outcome(itemId, position, meta) {
    var fields = { item_id: itemId, placement: meta.placement, position: position };
    if (meta.recommendation_id) fields.recommendation_id = meta.recommendation_id;
    return fields;
  }

  function watchViews(el, cards, meta) {
    var seen = {};
    function report(box) {
      var id = box.getAttribute("data-item-id");
      if (seen[id]) return;
      seen[id] = true;
      var position = Number(box.getAttribute("data-position"));
      emit(el, "view", Object.assign({ item_id: id, position: position }, meta));
      track("impression", outcome(id, position, meta));
    }
    if (!("IntersectionObserver" in window)) { cards.forEach(report); return; }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) { report(entry.target); observer.unobserve(entry.target); }
      });
    }, { threshold: 0.5 });
    cards.forEach(function (box) { observer.observe(box); });
  }

  function draw(el, answer) {
    var placement = attr(el, "data-vitrine-placement", "home");
    var items = (answer && Array.isArray(answer.items)) ? answer.items : [];
    el.textContent = "";
    if (!items.length) { el.setAttribute("data-vitrine-state", "empty"); return; }
    ensureStyle();
    var meta = { placement: placement, strategy: answer.strategy, model_version: answer.model_version };
    if (answer.recommendation_id) meta.recommendation_id = answer.recommendation_id;
    var section = node("section", "vitrine-widget");
    var popular = answer.strategy === "popular" || answer.strategy === "popular_fallback";
    var title = attr(el, popular ? "data-title-popular" : "data-title", attr(el, "data-title", "Recommended for you"));
    section.setAttribute("aria-label", title);
    section.appendChild(node("h3", "vitrine-title", title));
    var row = node("div", "vitrine-row");
    var track = node("div", "vitrine-track");
    var prev = node("button", "vitrine-nav vitrine-prev", "\u2039");
    var next = node("button", "vitrine-nav vitrine-next", "\u203A");
    prev.type = next.type = "button";
    prev.setAttribute("aria-label", "previous");
    next.setAttribute("aria-label", "next");
    prev.addEventListener("click", function () { track.scrollBy({ left: -track.clientWidth * 0.8 }); });
    next.addEventListener("click", function () { track.scrollBy({ left: track.clientWidth * 0.8 }); });
    function arrows() {  // an arrow shows only where there is more to see
      prev.disabled = track.scrollLeft <= 2;
      next.disabled = track.scrollLeft + track.clientWidth >= track.scrollWidth - 2;
    }
    track.addEventListener("scroll", arrows, { passive: true });
    var cards = items.map(function (item, i) { return card(el, item, i + 1, meta); });
    cards.forEach(function (box) { track.appendChild(box); });
    row.appendChild(track);
    row.appendChild(prev);
    row.appendChild(next);
    section.appendChild(row);
    el.appendChild(section);
    el.setAttribute("data-vitrine-state", "ready");
    arrows();
    emit(el, "render", Object.assign({ items: items }, meta));
    watchViews(el, cards, meta);
  }

  function fail(el, status, message) {
    el.textContent = "";
    el.setAttribute("data-vitrine-state", "error");
    emit(el, "error", { placement: attr(el, "data-vitrine-placement", "home"), status: status, message: message });
  }

  function render(el) {
    var call;
    try { call = request(el); } catch (e) { fail(el, 0, String(e)); return Promise.resolve(); }
    el.setAttribute("data-vitrine-state", "loading");
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && setTimeout(function () { controller.abort(); },
                                         parseInt(attr(el, "data-timeout", "4000"), 10) || 4000);
    var options = { method: call.method, mode: "cors", credentials: "omit", signal: controller && controller.signal,
                    headers: { "Accept": "application/json" } };
    if (call.body) { options.body = call.body; options.headers["Content-Type"] = "application/json"; }
    return inFlight.then(function () { return fetch(call.url, options); }).then(function (response) {
      if (!response.ok) throw { status: response.status, message: "HTTP " + response.status };
      return response.json();
    }).then(function (answer) {
      draw(el, answer);
    }).catch(function (error) {
      fail(el, (error && error.status) || 0, (error && error.message) || String(error));
    }).then(function () { if (timer) clearTimeout(timer); });
  }

  function scan(root) {
    trackProductViews(root);
    var found = (root || document).querySelectorAll("[data-vitrine-placement]");
    return Promise.all(Array.prototype.map.call(found, render));
  }

  window.addEventListener("pagehide", function () { flush(true); });
  window.Vitrine = {
    version: "2", render: render, scan: scan, consent: consent,
    track: function (type, fields) { return track(type, fields, true); },
    visitor: function () { return visitorId(false); },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { scan(); });
  else scan();
})();
