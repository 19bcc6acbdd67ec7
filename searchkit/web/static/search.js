// searchkit serve: results update as you type, once an input method's composition has ended.
// Without this script the page is a plain GET form; with it, the same URL is fetched with
// fragment=1 and the results part is replaced (the server renders and escapes it).
(function () {
  "use strict";
  var form = document.getElementById("search");
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  if (!form || !box || !results || !window.fetch) return;

  var DELAY = 250;  // ms of quiet before a search
  var composing = false;
  var timer = null;
  var controller = null;
  var last = null;

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value !== "") params.append(name, value);
    });
    return params.toString();
  }

  function run() {
    timer = null;
    var qs = queryString();
    if (qs === last) return;
    last = qs;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    results.classList.add("busy");
    results.setAttribute("aria-busy", "true");
    fetch("/?" + (qs ? qs + "&" : "") + "fragment=1", {
      headers: { "Accept": "text/html" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      results.innerHTML = html;
      results.classList.remove("busy");
      results.removeAttribute("aria-busy");
      history.replaceState(null, "", qs ? "/?" + qs : "/");
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      results.classList.remove("busy");
      results.removeAttribute("aria-busy");
    });
  }

  function schedule() {
    if (composing) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, DELAY);
  }

  box.addEventListener("compositionstart", function () {
    composing = true;
    if (timer) { clearTimeout(timer); timer = null; }
  });
  box.addEventListener("compositionend", function () {
    composing = false;
    schedule();
  });
  box.addEventListener("input", function (event) {
    if (event.isComposing || composing) return;  // pinyin still being typed
    schedule();
  });
  // Enter confirms a candidate while composing: it must not submit the form.
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.isComposing || composing || event.keyCode === 229)) {
      event.preventDefault();
    }
  });
  form.addEventListener("change", function (event) {
    if (event.target !== box) schedule();
  });
  last = queryString();
})();
