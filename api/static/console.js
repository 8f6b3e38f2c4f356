/* Console helpers (everything works without them): confirmation prompts, and on the rule form
   showing only the fields the chosen action uses, value suggestions per column, more condition rows. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  var form = document.getElementById("rule-form");
  if (!form) return;
  var action = document.getElementById("action");
  function showForAction() {
    form.querySelectorAll("[data-for-action]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-action").split(" ").indexOf(action.value) < 0;
    });
  }
  action.addEventListener("change", showForAction);
  showForAction();

  function suggest(select) {
    var input = select.parentNode.querySelector("input[name=value]");
    if (document.getElementById("values-" + select.value)) input.setAttribute("list", "values-" + select.value);
    else input.removeAttribute("list");
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "field") suggest(event.target);
  });
  document.getElementById("add-clause").addEventListener("click", function () {
    var rows = document.querySelectorAll("#clauses .clause");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    copy.querySelector("select[name=field]").value = "";
    copy.querySelector("select[name=op]").value = "eq";
    copy.querySelector("input[name=value]").value = "";
    document.getElementById("clauses").appendChild(copy);
  });
})();
