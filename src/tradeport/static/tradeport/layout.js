// Page layout: the left menu folds away (kept for the account on the server), and on the follow-up
// screen a divider shares the width between the mail list and the reading pane (kept in this browser).
// Loaded in the head like app.js: listeners sit on document, so nothing waits for the body.

// The menu (GEN-01). The toggle is a form that works without script; here it is sent in the background.
(function () {
  "use strict";

  function show(collapsed) {
    var shell = document.getElementById("tp-shell");
    var button = document.getElementById("menu-toggle");
    if (shell) { shell.classList.toggle("tp-menu-collapsed", collapsed); }
    if (button) {
      button.setAttribute("aria-expanded", collapsed ? "false" : "true");
      button.title = button.getAttribute(collapsed ? "data-title-closed" : "data-title-open");
      button.form.elements.collapsed.value = collapsed ? "0" : "1";  // what the next plain post asks for
    }
    // The follow-up divider's bounds depend on the width the menu leaves.
    window.dispatchEvent(new Event("resize"));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-menu-toggle]");
    if (!form || !window.fetch) { return; }
    event.preventDefault();
    var shell = document.getElementById("tp-shell");
    var collapsed = !(shell && shell.classList.contains("tp-menu-collapsed"));
    show(collapsed);
    var data = new FormData(form);
    data.set("collapsed", collapsed ? "1" : "0");
    data.delete("next");  // no redirect wanted: the page is already as it should be
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
    }).catch(function () {
      show(!collapsed);  // not saved: the page says so by going back
    });
  });
})();

// The follow-up screen's divider (QUE-01, GEN-04): drag it, or focus it and use the arrow keys
// (Shift for bigger steps, Home and End for the limits). The CSS keeps the list between its minimum
// and what leaves the reading pane its minimum; the width shown is the width stored.
(function () {
  "use strict";
  var KEY = "tradeport.followup.listWidth";
  var STEP = 16, BIG_STEP = 80;

  function read() {
    try { return parseInt(window.localStorage.getItem(KEY), 10) || null; } catch (e) { return null; }
  }

  function write(px) {
    try { window.localStorage.setItem(KEY, String(px)); } catch (e) { /* storage refused: the width lasts for this page */ }
  }

  function setWidth(px) { document.documentElement.style.setProperty("--tp-list-width", Math.round(px) + "px"); }

  // Before the body is parsed: the screen is first drawn with the stored split, with no jump.
  var stored = read();
  if (stored) { setWidth(stored); }

  function parts() {
    var divider = document.getElementById("followup-divider");
    if (!divider) { return null; }
    return { divider: divider, screen: divider.parentElement, list: document.getElementById("queue-pane") };
  }

  function rem(style, name) {
    var root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    return parseFloat(style.getPropertyValue(name)) * root;
  }

  function bounds(p) {
    var style = getComputedStyle(p.screen);
    var box = p.screen.getBoundingClientRect();
    var free = box.right - parseFloat(style.paddingRight) - p.list.getBoundingClientRect().left;
    var min = rem(style, "--tp-list-min");
    var max = free - p.divider.getBoundingClientRect().width - rem(style, "--tp-reading-min");
    return { min: Math.round(min), max: Math.round(Math.max(min, max)) };
  }

  // The separator tells assistive technology the list's width in pixels and its limits.
  function describe(p) {
    var limits = bounds(p);
    p.divider.setAttribute("aria-valuemin", limits.min);
    p.divider.setAttribute("aria-valuemax", limits.max);
    p.divider.setAttribute("aria-valuenow", Math.round(p.list.getBoundingClientRect().width));
  }

  function resize(p, px, keep) {
    var limits = bounds(p);
    setWidth(Math.min(Math.max(px, limits.min), limits.max));
    describe(p);
    if (keep) { write(Math.round(p.list.getBoundingClientRect().width)); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var p = parts();
    if (p) { describe(p); }
  });
  window.addEventListener("resize", function () {
    var p = parts();
    if (p) { describe(p); }
  });

  var drag = null;

  document.addEventListener("pointerdown", function (event) {
    var p = parts();
    if (!p || event.target !== p.divider || event.button !== 0) { return; }
    event.preventDefault();
    p.divider.setPointerCapture(event.pointerId);
    drag = { p: p, x: event.clientX, width: p.list.getBoundingClientRect().width };
    document.body.classList.add("tp-resizing");
    p.divider.focus();
  });

  document.addEventListener("pointermove", function (event) {
    if (drag) { resize(drag.p, drag.width + event.clientX - drag.x, false); }
  });

  function stop() {
    if (!drag) { return; }
    resize(drag.p, drag.p.list.getBoundingClientRect().width, true);
    document.body.classList.remove("tp-resizing");
    drag = null;
  }
  document.addEventListener("pointerup", stop);
  document.addEventListener("pointercancel", stop);

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p || event.target !== p.divider || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var width = p.list.getBoundingClientRect().width;
    var step = event.shiftKey ? BIG_STEP : STEP;
    var moves = {
      ArrowLeft: width - step, ArrowRight: width + step,
      Home: bounds(p).min, End: bounds(p).max,
    };
    if (!Object.prototype.hasOwnProperty.call(moves, event.key)) { return; }
    event.preventDefault();
    resize(p, moves[event.key], true);
  });
})();
