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
})();
