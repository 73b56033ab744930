// Keyboard use for lists and confirmations for destructive forms.
// htmx sends the CSRF token from the hx-headers on <body>.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("table[data-keyboard] tbody tr")); }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.matches("input, textarea, select, [contenteditable]")) { return; }
    if (event.key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    var list = rows();
    if (!list.length) { return; }
    var index = list.indexOf(document.activeElement.closest && document.activeElement.closest("tr"));
    if (event.key === "j" || event.key === "k") {
      index = event.key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      list[index].setAttribute("tabindex", "-1");
      list[index].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && index >= 0) {
      var link = list[index].querySelector("a[href]");
      if (link) { link.click(); }
    }
  });
})();
