// detente workbench: binds each slider to its number box, marks touched fields, resets fields
// and shows field messages after each htmx swap. No inline script: the page's CSP forbids it.
(function () {
  "use strict";

  function boxOf(key) { return document.getElementById("box-" + key); }
  function sliderOf(key) { return document.getElementById("slider-" + key); }
  function errorOf(key) { return document.getElementById("err-" + key); }

  // A field counts as an edit only once the user touched it: only then does its box get a
  // name, so the form submits exactly the touched fields (and the slider never submits).
  function touch(key) {
    var box = boxOf(key);
    box.name = key;
    box.closest("td").classList.add("touched");
  }

  function untouch(key) {
    var box = boxOf(key), slider = sliderOf(key);
    box.removeAttribute("name");
    box.value = box.dataset.baseline;
    if (box.dataset.baseline !== "") { slider.value = box.dataset.baseline; }
    box.closest("td").classList.remove("touched", "invalid");
    errorOf(key).textContent = "";
  }

  function recompute() {
    var form = document.getElementById("whatif");
    if (form && window.htmx) { window.htmx.trigger(form, "recompute"); }
  }

  document.addEventListener("input", function (ev) {
    var el = ev.target, key = el.dataset ? el.dataset.key : undefined;
    if (!key) { return; }
    if (el.classList.contains("slider")) {
      boxOf(key).value = el.value;  // the slider's own value; the box is what is sent
    } else if (el.value.trim() !== "" && isFinite(Number(el.value))) {
      sliderOf(key).value = el.value;  // the slider clamps; the box keeps what was typed
    }
    touch(key);
  }, true);

  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (el.classList.contains("reset") && el.dataset.key) {
      untouch(el.dataset.key);
      recompute();
    } else if (el.id === "reset-all") {
      document.querySelectorAll("input.box[name]").forEach(function (box) {
        untouch(box.dataset.key);
      });
      recompute();
    }
  });

  // undo and redo: each computed state (the touched fields and their values) is a step
  var past = [], future = [], current = {};

  function snapshot() {
    var s = {};
    document.querySelectorAll("input.box[name]").forEach(function (box) {
      s[box.name] = box.value;
    });
    return s;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function updateHistoryButtons() {
    var undo = document.getElementById("undo"), redo = document.getElementById("redo");
    if (undo) { undo.disabled = past.length === 0; }
    if (redo) { redo.disabled = future.length === 0; }
  }

  function restore(state) {
    document.querySelectorAll("input.box[name]").forEach(function (box) {
      if (!(box.name in state)) { untouch(box.dataset.key); }
    });
    Object.keys(state).forEach(function (key) {
      var box = boxOf(key);
      if (!box) { return; }
      box.value = state[key];
      if (state[key].trim() !== "" && isFinite(Number(state[key]))) {
        sliderOf(key).value = state[key];
      }
      touch(key);
    });
    current = state;
    updateHistoryButtons();
    recompute();
  }

  current = snapshot();  // a reloaded run starts with its edits touched

  document.addEventListener("htmx:configRequest", function (ev) {
    if (ev.detail.path !== "/whatif") { return; }
    var s = snapshot();
    if (!same(s, current)) {
      past.push(current);
      current = s;
      future = [];
      updateHistoryButtons();
    }
  });

  document.addEventListener("click", function (ev) {
    if (ev.target.id === "undo" && past.length) {
      future.push(current);
      restore(past.pop());
    } else if (ev.target.id === "redo" && future.length) {
      past.push(current);
      restore(future.pop());
    }
  });

  // an applied move: its edits go into the fields as if typed, then the page recomputes
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.detail.target.id !== "apply-result") { return; }
    var items = document.querySelectorAll("#apply-edits li[data-key]");
    items.forEach(function (li) {
      var key = li.dataset.key, box = boxOf(key);
      if (!box) { return; }
      box.value = li.dataset.value;
      if (isFinite(Number(li.dataset.value))) { sliderOf(key).value = li.dataset.value; }
      touch(key);
    });
    if (items.length) { recompute(); }
  });

  // after each results swap: put every field's message next to its field
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.detail.target.id !== "results") { return; }
    document.querySelectorAll(".field-error").forEach(function (span) {
      span.textContent = "";
      span.closest("td").classList.remove("invalid");
    });
    document.querySelectorAll("#field-errors li[data-key]").forEach(function (li) {
      var span = errorOf(li.dataset.key);
      if (span) {
        span.textContent = li.textContent;
        span.closest("td").classList.add("invalid");
      }
    });
  });

  // a refused request (413 upload, 403, ...) is shown, not swallowed
  document.addEventListener("htmx:responseError", function (ev) {
    var xhr = ev.detail.xhr, flash = document.getElementById("flash");
    if (flash) {
      flash.textContent = "The server refused the request (" + xhr.status + "): " +
        (xhr.responseText || xhr.statusText);
    }
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var flash = document.getElementById("flash");
    if (flash) { flash.textContent = ""; }
  });
})();
