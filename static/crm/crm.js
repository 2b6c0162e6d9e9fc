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
    const pageBox = bulkForm.querySelector("[data-check-page]");
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
})();
