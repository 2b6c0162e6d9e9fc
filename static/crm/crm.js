// The CRM's small shared behaviours. No inline scripts: pages stay within a strict CSP.
(function () {
  "use strict";

  // Every htmx request carries the CSRF token.
  document.body.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = document.body.dataset.csrfToken;
  });

  // <select data-autosubmit> submits its form when changed (the language switch, list filters).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  // <form data-confirm="..."> asks before submitting.
  document.addEventListener("submit", function (event) {
    const message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Bulk actions on a list: the bar shows once a row is ticked; "select all N matching" acts
  // on every row the filters match; each action shows only the values it needs.
  const bulkForm = document.querySelector("form[data-bulk]");
  const bulkBar = document.getElementById("bulk-bar");
  if (bulkForm && bulkBar) {
    const rows = function () {
      return Array.from(document.querySelectorAll('input[name="pk"][form="bulk-form"]'));
    };
    const pageBox = document.querySelector("[data-check-page]");
    const every = bulkForm.querySelector('input[name="bulk-every"]');
    const count = bulkBar.querySelector("[data-bulk-count]");
    const everything = bulkBar.querySelector("[data-bulk-everything]");
    const allButton = bulkBar.querySelector("[data-bulk-select-all]");
    const allChosen = bulkBar.querySelector("[data-bulk-all-chosen]");
    const action = bulkBar.querySelector('select[name="bulk-action"]');

    const setEvery = function (on) {
      every.value = on ? "True" : "";
      if (allButton) allButton.hidden = on;
      if (allChosen) allChosen.hidden = !on;
    };
    const refresh = function () {
      const ticked = rows().filter(function (box) { return box.checked; }).length;
      bulkBar.hidden = ticked === 0;
      count.textContent = String(ticked);
      const wholePage = ticked > 0 && ticked === rows().length;
      if (pageBox) {
        pageBox.checked = wholePage;
        pageBox.indeterminate = ticked > 0 && !wholePage;
      }
      if (everything) everything.hidden = !wholePage;
      if (!wholePage) setEvery(false);
    };
    const showParams = function () {
      bulkBar.querySelectorAll("[data-bulk-param]").forEach(function (box) {
        box.hidden = !box.dataset.bulkParam.split(" ").includes(action.value);
      });
    };
    document.addEventListener("change", function (event) {
      if (event.target === pageBox) {
        rows().forEach(function (box) { box.checked = pageBox.checked; });
      }
      if (event.target === action) showParams();
      if (event.target === pageBox || event.target.matches('input[name="pk"]')) refresh();
    });
    if (allButton) allButton.addEventListener("click", function () { setEvery(true); });
    bulkBar.querySelector("[data-bulk-clear]").addEventListener("click", function () {
      rows().forEach(function (box) { box.checked = false; });
      refresh();
    });
    bulkForm.addEventListener("submit", function (event) {
      const submit = bulkBar.querySelector("[data-bulk-submit]");
      const question = submit.dataset.bulkConfirmDelete;
      if (action.value === "delete" && question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
    showParams();
    refresh();
  }

  // What the server says after an htmx request (HX-Trigger "crm:message"): a toast at the
  // bottom of the screen, on the side where lines end, clear of the navigation bar.
  const toast = function (level, text) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast align-items-center border-0 text-bg-" + (level || "success");
    item.setAttribute("role", level === "danger" ? "alert" : "status");
    const row = document.createElement("div");
    row.className = "d-flex";
    const body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.dataset.bsDismiss = "toast";
    close.setAttribute("aria-label", box.dataset.closeLabel || "Close");
    row.append(body, close);
    item.append(row);
    box.append(item);
    item.addEventListener("hidden.bs.toast", function () { item.remove(); });
    new bootstrap.Toast(item, { delay: level === "danger" ? 8000 : 4000 }).show();
  };
  window.crmToast = toast;
  document.body.addEventListener("crm:message", function (event) {
    toast(event.detail.level, event.detail.text);
  });
  // A failed request (a 5xx, the network) says so instead of doing nothing.
  document.body.addEventListener("htmx:responseError", function (event) {
    toast("danger", document.body.dataset.failedMessage || "The request failed.");
  });

  // Keyboard shortcuts, never while typing: "/" searches, "n" adds (the list's record, or a
  // lead), "?" shows them all.
  const typing = function (target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector(".modal.show")) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut-search]");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === "n") {
      const add = document.querySelector("[data-shortcut-new]") ||
        document.getElementById("quick-add-button");
      if (add) {
        event.preventDefault();
        add.click();
      }
    } else if (event.key === "?") {
      const help = document.getElementById("shortcuts");
      if (help) {
        event.preventDefault();
        bootstrap.Modal.getOrCreateInstance(help).show();
      }
    }
  });

  // The quick-add dialog: its first field takes the cursor once the form is in and the
  // dialog is shown, whichever comes last (Bootstrap moves the focus to the dialog itself).
  const focusQuickAdd = function (dialog) {
    if (!dialog.classList.contains("show")) return;
    const field = dialog.querySelector("form input:not([type=hidden])");
    if (field) field.focus();
  };
  document.body.addEventListener("htmx:afterSwap", function (event) {
    const dialog = event.target.closest("#quick-add");
    if (dialog) focusQuickAdd(dialog);
  });
  const quickAdd = document.getElementById("quick-add");
  if (quickAdd) {
    quickAdd.addEventListener("shown.bs.modal", function () { focusQuickAdd(quickAdd); });
  }
})();
