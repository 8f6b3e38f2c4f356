/* Console helpers (everything works without them): confirmation prompts, and on the rule form
   showing only the fields the chosen action uses, value suggestions per column, more condition rows,
   and the rule checked as you type (mistakes, products matched, the preview panel). */
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
  function renumber() {  // each condition row's inputs and error lines carry its index
    document.querySelectorAll("#clauses .clause").forEach(function (row, i) {
      row.setAttribute("data-row", String(i));
      ["field", "op", "value"].forEach(function (name) {
        var line = row.querySelectorAll(".field-error")[["field", "op", "value"].indexOf(name)];
        if (line) line.id = "error-" + name + "_" + i;
      });
    });
  }
  document.getElementById("add-clause").addEventListener("click", function () {
    var rows = document.querySelectorAll("#clauses .clause");
    var copy = rows[rows.length - 1].cloneNode(true);
    copy.querySelectorAll(".field-error").forEach(function (el) { el.hidden = true; el.textContent = ""; });
    copy.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    copy.querySelector("select[name=field]").value = "";
    copy.querySelector("select[name=op]").value = "eq";
    copy.querySelector("input[name=value]").value = "";
    document.getElementById("clauses").appendChild(copy);
    renumber();
  });

  /* Checked as you type: the server answers with every mistake, the products matched and the
     preview; a mistake shows once its control was touched (or the form was posted with it). */
  var touched = {};
  document.querySelectorAll(".field-error:not([hidden])").forEach(function (el) { touched[el.id] = true; });
  var timer = null, sequence = 0;
  function errorKey(target) {
    var row = target.closest(".clause");
    return "error-" + target.name + (row ? "_" + row.getAttribute("data-row") : "");
  }
  function showErrors(errors) {
    form.querySelectorAll(".field-error").forEach(function (el) {
      var name = el.id.slice("error-".length);
      var message = errors[name];
      var visible = !!message && !!touched[el.id];
      el.hidden = !visible;
      el.textContent = visible ? message : "";
      var control = el.parentNode.classList.contains("clause")
        ? el.parentNode.querySelector("[name=" + name.replace(/_\d+$/, "") + "]") : document.getElementById(name);
      if (control) { control.classList.toggle("invalid", visible); control.setAttribute("aria-invalid", visible); }
    });
    var banner = document.getElementById("form-errors");
    var count = Object.keys(errors).filter(function (n) { return touched["error-" + n]; }).length;
    banner.hidden = !count;
    banner.textContent = count ? count + " field" + (count > 1 ? "s" : "") + " to fix, marked below." : "";
  }
  function showMatched(matched) {
    var line = document.getElementById("matched");
    line.classList.toggle("warn", !!matched && matched.count === 0);
    if (!matched) { line.textContent = ""; return; }
    if (matched.count === 0) {
      line.textContent = "Matches no product of the " + matched.total + " in the catalog: check the value's spelling " +
        "and case (values are compared exactly).";
      return;
    }
    line.textContent = "Matches " + matched.count + " of " + matched.total + " products" +
      (matched.examples.length ? " (e.g. " + matched.examples.join(", ") + ")" : "") + ".";
  }
  function check() {
    var mine = ++sequence;
    var data = new FormData(form);
    fetch(form.getAttribute("data-check"), { method: "POST", body: data, credentials: "same-origin",
                                            headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (result) {
        if (!result || mine !== sequence) return;
        showErrors(result.errors || {});
        showMatched(result.matched);
        var body = document.getElementById("rule-preview-body");
        if (result.preview) body.innerHTML = result.preview;
        else if (Object.keys(result.errors || {}).length) body.innerHTML =
          '<p class="hint">The preview appears once the rule has no mistakes.</p>';
        form.setAttribute("data-checked", String(mine));
      }).catch(function () {});
  }
  function later(event) {
    if (event && event.target && event.target.name && event.target.name.indexOf("preview_") !== 0) {
      touched[errorKey(event.target)] = true;
    }
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  check();
})();

/* The export page: poll the job's status until the file is ready (the page works without it: reload). */
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box || box.getAttribute("data-state") !== "running") return;
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  function poll() {
    fetch(box.getAttribute("data-status"), { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (status) {
        bar.max = status.total || 1;
        bar.value = status.done;
        box.setAttribute("data-state", status.state);
        if (status.state === "ready") {
          state.textContent = "Ready: " + status.done.toLocaleString() + " customers.";
          document.getElementById("download-export").hidden = false;
        } else if (status.state === "failed") {
          state.textContent = "Failed: " + status.error;
        } else {
          state.textContent = status.done.toLocaleString() + " of " + status.total.toLocaleString() + " customers…";
          setTimeout(poll, 400);
        }
      }).catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 200);
})();
