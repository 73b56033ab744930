// Keyboard use for lists and confirmations for destructive forms.
// htmx sends the CSRF token from the hx-headers on <body>.
(function () {
  "use strict";

  // The reading pane's view buttons (HTML, plain text, remote images once) reload the body frame.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); return; }
    var button = event.target.closest && event.target.closest("[data-frame-src]");
    if (!button) { return; }
    var frame = document.getElementById("mail-body");
    if (frame) { frame.src = button.getAttribute("data-frame-src"); }
  });

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
    // Frequent actions in the reading pane (e, d, m, t, f, x, r, a, w) and the tree (c): the element that carries the key.
    var shortcut = !event.ctrlKey && !event.metaKey && !event.altKey &&
      document.querySelector('#reading [data-key="' + event.key + '"], #queue-tree [data-key="' + event.key + '"]');
    if (shortcut) {
      event.preventDefault();
      shortcut.click();
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

// Pickers (GEN-06): [Select] opens #picker-modal, htmx fills its body, a choice
// writes hidden inputs back into the widget. Multi-select keeps its ticks while
// the user moves between departments or searches.
(function () {
  "use strict";
  var target = null;
  var pending = null;

  var opening = false;

  function widget(id) { return document.querySelector('[data-picker="' + id + '"]'); }
  function modal() { return window.bootstrap.Modal.getOrCreateInstance(document.getElementById("picker-modal")); }

  // Bootstrap ignores hide() while the show animation runs; a quick choice must wait for it.
  function closeModal() {
    if (!opening) { modal().hide(); return; }
    document.getElementById("picker-modal").addEventListener("shown.bs.modal", function () {
      modal().hide();
    }, { once: true });
  }

  // Bootstrap focuses the dialog itself once it is shown; the search box is where typing belongs.
  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id !== "picker-modal") { return; }
    opening = false;
    var body = document.getElementById("picker-modal-body");
    var search = body.querySelector("input[type=search]");
    // Only when the user has not already moved into the picker (e.g. with the arrow keys).
    if (search && !body.contains(document.activeElement)) { search.focus(); }
  });

  function current(id) {
    var box = widget(id);
    var chosen = new Map();
    if (!box) { return chosen; }
    if (box.hasAttribute("data-picker-name")) {
      box.querySelectorAll("[data-value]").forEach(function (badge) {
        chosen.set(badge.getAttribute("data-value"), badge.textContent.trim());
      });
    } else {
      var input = document.getElementById(id);
      if (input && input.value) { chosen.set(input.value, document.getElementById(id + "_label").value); }
    }
    return chosen;
  }

  function write(id, chosen) {
    var box = widget(id);
    if (!box) { return; }
    if (!box.hasAttribute("data-picker-name")) {
      var first = chosen.entries().next();
      document.getElementById(id).value = first.done ? "" : first.value[0];
      document.getElementById(id + "_label").value = first.done ? "" : first.value[1];
      return;
    }
    var holder = document.getElementById(id + "_chosen");
    holder.replaceChildren();
    chosen.forEach(function (label, value) {
      var badge = document.createElement("span");
      badge.className = "badge text-bg-secondary";
      badge.setAttribute("data-value", value);
      badge.textContent = label;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = box.getAttribute("data-picker-name");
      input.value = value;
      badge.appendChild(input);
      holder.appendChild(badge);
    });
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-picker-open]");
    if (opener) {
      target = opener.getAttribute("data-picker-open");
      pending = current(target);
      document.getElementById("picker-modal-body").replaceChildren();
      opening = true;
      modal().show();
      return;
    }
    var clearer = event.target.closest("[data-picker-clear]");
    if (clearer) { write(clearer.getAttribute("data-picker-clear"), new Map()); return; }
    var confirm = event.target.closest("[data-pick-confirm]");
    if (confirm && target) { write(target, pending); closeModal(); return; }
    var pick = event.target.closest("[data-pick-value]");
    if (pick && target && pick.type !== "checkbox") {
      write(target, new Map([[pick.getAttribute("data-pick-value"), pick.getAttribute("data-pick-label")]]));
      closeModal();
    }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox" && box.hasAttribute("data-pick-value") && pending) {
      if (box.checked) { pending.set(box.getAttribute("data-pick-value"), box.getAttribute("data-pick-label")); }
      else { pending.delete(box.getAttribute("data-pick-value")); }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "picker-modal-body" || !pending) { return; }
    event.target.querySelectorAll("input[type=checkbox][data-pick-value]").forEach(function (box) {
      box.checked = pending.has(box.getAttribute("data-pick-value"));
    });
    var search = event.target.querySelector("input[type=search]");
    if (search && document.activeElement !== search) {
      search.focus();
      search.setSelectionRange(search.value.length, search.value.length);
    }
  });

  // Arrow keys move between the choices of an open picker.
  document.addEventListener("keydown", function (event) {
    var body = document.getElementById("picker-modal-body");
    if (!body || !body.contains(event.target) || (event.key !== "ArrowDown" && event.key !== "ArrowUp")) { return; }
    var items = Array.prototype.slice.call(body.querySelectorAll("[data-pick-value]"));
    if (!items.length) { return; }
    var index = items.indexOf(event.target);
    index = event.key === "ArrowDown" ? Math.min(index + 1, items.length - 1) : Math.max(index - 1, 0);
    items[index].focus();
    event.preventDefault();
  });
})();

// Compose (SEND-05, SEND-06): a template or a common phrase goes in at the cursor of the body;
// a template's subject fills an empty subject.
(function () {
  "use strict";
  function insertAtCursor(field, text) {
    var start = field.selectionStart || 0, end = field.selectionEnd || 0;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.focus();
  }
  document.addEventListener("change", function (event) {
    var select = event.target;
    var targetId = select.getAttribute("data-insert-template") || select.getAttribute("data-insert-phrase");
    if (!targetId || !select.value) { return; }
    var option = select.options[select.selectedIndex];
    var body = document.getElementById(targetId);
    if (select.hasAttribute("data-insert-template")) {
      var subject = document.getElementById("id_subject");
      if (subject && !subject.value && option.getAttribute("data-subject")) {
        subject.value = option.getAttribute("data-subject");
      }
    }
    insertAtCursor(body, option.getAttribute("data-text") || "");
    select.value = "";
  });
})();

// Compose (SEND-02): [Select recipients] opens the picker dialog; each address goes into To, Cc or Bcc once.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-picker]");
    if (opener) {
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("picker-modal")).show();
      return;
    }
    var button = event.target.closest("[data-add-recipient]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-add-recipient"));
    var address = button.getAttribute("data-address");
    var present = field.value.split(/[;,\n]/).map(function (part) { return part.trim().toLowerCase(); });
    if (present.indexOf(address.toLowerCase()) === -1) {
      field.value = field.value.trim() ? field.value.trim().replace(/;$/, "") + "; " + address : address;
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    button.classList.add("active");
  });
})();

// Small page behaviours, declared with data- attributes: the Content-Security-Policy admits no inline
// script, so no template carries onclick= or <script> of its own.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-submit-on-change]")) { target.form.requestSubmit(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    var checkAll = target.closest("input[data-check-all]");
    if (checkAll) {  // a header checkbox ticks or clears the rows
      document.querySelectorAll(checkAll.getAttribute("data-check-all")).forEach(function (box) {
        box.checked = checkAll.checked;
      });
      return;
    }
    var setChecks = target.closest("[data-set-checks]");
    if (setChecks) {  // [Select all] / [Clear all] buttons
      var value = setChecks.getAttribute("data-checked") === "true";
      document.querySelectorAll(setChecks.getAttribute("data-set-checks")).forEach(function (box) {
        box.checked = value;
      });
      return;
    }
    var toggle = target.closest("[data-toggle-subtree]");
    if (toggle) {  // a tree node's chevron opens and closes the list beside it
      var list = document.getElementById(toggle.getAttribute("data-toggle-subtree"));
      if (list) { list.classList.toggle("d-none"); }
      var icon = toggle.querySelector("i");
      if (icon) { icon.classList.toggle("bi-chevron-down"); }
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {  // a repeated row goes, unless it is the last one
      if (document.querySelectorAll(remove.getAttribute("data-remove-row")).length > 1) { remove.closest("tr").remove(); }
      return;
    }
    var repeat = target.closest("[data-repeat-row]");
    if (repeat) {  // a copy of the last repeated row, emptied
      var rows = document.querySelectorAll(repeat.getAttribute("data-repeat-row"));
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var input = copy.querySelector("input");
      if (input) { input.value = ""; }
      last.after(copy);
      return;
    }
    var add = target.closest("[data-formset-add]");
    if (add) {  // a Django formset gets one more form from its <template>
      var prefix = add.getAttribute("data-formset-add");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById(add.getAttribute("data-formset-template"));
      var html = template.innerHTML.replace(/__prefix__/g, total.value);
      document.getElementById(add.getAttribute("data-formset-target")).insertAdjacentHTML("beforeend", html);
      total.value = Number(total.value) + 1;
    }
  });

  // A form that also sends the current values of another form's fields (a saved query keeps its conditions).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var source = form.getAttribute && form.getAttribute("data-copy-fields");
    if (!source) { return; }
    document.querySelectorAll(source + " [name]").forEach(function (field) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = field.name;
      hidden.value = field.value;
      form.appendChild(hidden);
    });
  });

  // OWN-05: drag the ticked customers (or the dragged row) onto a salesperson.
  document.addEventListener("dragstart", function (event) {
    var row = event.target.closest && event.target.closest("#ownership-customers tr[draggable]");
    if (!row) { return; }
    row.querySelector("input[name=customer]").checked = true;
    event.dataTransfer.setData("text/plain", row.dataset.customerId);
  });
  function dropTarget(event) { return event.target.closest && event.target.closest("[data-drop-target]"); }
  document.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (target) { event.preventDefault(); target.classList.add("list-group-item-info"); }
  });
  document.addEventListener("dragleave", function (event) {
    var target = dropTarget(event);
    if (target) { target.classList.remove("list-group-item-info"); }
  });
  document.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!target) { return; }
    event.preventDefault();
    var form = document.getElementById("owner-form");
    var select = document.getElementById("move-target");
    if (!form || !select) { return; }
    select.value = target.dataset.dropTarget;
    form.requestSubmit();
  });
})();
