// The pipeline board: drag a card to another column (or use its move button) to change the
// deal's stage. The move is saved by a fetch POST, without reloading the page; a refused move
// puts the card back and says why. No inline scripts: the page stays within a strict CSP.
(function () {
  "use strict";

  const board = document.getElementById("board");
  if (!board || typeof window.Sortable === "undefined") {
    return;
  }
  const text = board.dataset;
  const modalElement = document.getElementById("move-modal");
  const modal = window.bootstrap.Modal.getOrCreateInstance(modalElement);
  const form = modalElement.querySelector("[data-move-form]");
  const stageSelect = form.elements.stage;
  const reasonInput = form.elements.lost_reason;
  const stageField = form.querySelector("[data-move-stage-field]");
  const reasonField = form.querySelector("[data-move-reason-field]");

  // The move waiting for the dialog: {card, from, next, stage, dropped}.
  let pending = null;
  let submitted = false;

  function listFor(stage) {
    return board.querySelector('[data-cards][data-stage="' + stage + '"]');
  }

  function isLost(stage) {
    return listFor(stage).hasAttribute("data-lost");
  }

  // Said in the page's toasts (crm.js), at the bottom, clear of the navigation bar.
  function notify(message, kind) {
    if (window.crmToast) {
      window.crmToast(kind, message);
    }
  }

  // Put a card back where it was before the move.
  function putBack(move) {
    const next = move.next && move.next.parentNode === move.from ? move.next : null;
    move.from.insertBefore(move.card, next);
  }

  function setText(scope, selector, value) {
    const element = scope.querySelector(selector);
    if (element) {
      element.textContent = value;
    }
  }

  function showTotals(result) {
    result.stages.forEach(function (stage) {
      const header = board.querySelector('[data-stage-header="' + stage.id + '"]');
      if (header) {
        setText(header, '[data-total="count"]', stage.count);
        setText(header, '[data-total="amount"]', stage.amount_display);
        setText(header, '[data-total="weighted"]', stage.weighted_display);
      }
    });
    const summary = document.querySelector("[data-board-summary]");
    if (summary) {
      setText(summary, '[data-total="count"]', result.open.count);
      setText(summary, '[data-total="amount"]', result.open.amount_display);
      setText(summary, '[data-total="weighted"]', result.open.weighted_display);
    }
  }

  function moved(move, result) {
    const card = move.card;
    if (result.opportunity.closed) {
      // Won and lost deals leave the board; their column keeps only the totals.
      card.remove();
    } else {
      setText(card, '[data-field="probability"]', result.opportunity.probability + "%");
      setText(card, '[data-field="expected-value"]', result.opportunity.expected_value_display);
      setText(card, '[data-field="stage-age-text"]', result.opportunity.stage_age);
      card.dataset.version = result.opportunity.version;
      if (!result.opportunity.rotting) {
        // A new stage restarts the clock: the card is no longer rotting.
        card.classList.remove("board-card-rotting");
        const age = card.querySelector("[data-rotting]");
        if (age) {
          age.removeAttribute("data-rotting");
          age.removeAttribute("title");
          age.className = "board-card-age small text-body-secondary mt-1";
          const hidden = age.querySelector(".visually-hidden");
          if (hidden) {
            hidden.remove();
          }
          const icon = age.querySelector(".bi");
          if (icon) {
            icon.className = "bi bi-hourglass-split";
          }
        }
      }
    }
    showTotals(result);
    notify(result.message, "success");
  }

  function refused(move, message) {
    putBack(move);
    notify(message, "danger");
  }

  async function send(move, lostReason) {
    const card = move.card;
    const body = new FormData();
    body.append("stage", move.stage);
    if (card.dataset.version) {
      body.append("version", card.dataset.version);
    }
    if (lostReason) {
      body.append("lost_reason", lostReason);
    }
    card.classList.add("board-card-busy");
    card.setAttribute("aria-busy", "true");
    try {
      // The totals that come back follow the board's owner filter.
      const url = card.dataset.moveUrl + (text.owner ? "?owner=" + encodeURIComponent(text.owner) : "");
      const response = await fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": document.body.dataset.csrfToken, Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      const result = type.includes("application/json") ? await response.json() : null;
      if (response.ok && result && result.ok) {
        moved(move, result);
      } else if (result && (result.message || result.errors)) {
        refused(move, result.message || result.errors.join(" "));
      } else if (response.status === 403 || response.redirected) {
        // A refused CSRF token, or a detour to the login page: the page's session is over.
        refused(move, text.msgSession);
      } else {
        refused(move, text.msgError);
      }
    } catch (error) {
      refused(move, text.msgNetwork);
    } finally {
      card.classList.remove("board-card-busy");
      card.removeAttribute("aria-busy");
    }
  }

  // The dialog asks for the stage (move button) or only for the lost reason (a drop on lost).
  function ask(move) {
    pending = move;
    submitted = false;
    form.classList.remove("was-validated");
    reasonInput.classList.remove("is-invalid");
    reasonInput.value = "";
    stageSelect.value = move.stage;
    stageField.hidden = move.dropped;
    setText(form, "[data-move-name]", move.card.querySelector(".board-card-name").textContent);
    showReason();
    modal.show();
  }

  function showReason() {
    const lost = isLost(stageSelect.value);
    reasonField.hidden = !lost;
    reasonInput.required = lost;
  }

  stageSelect.addEventListener("change", showReason);

  modalElement.addEventListener("shown.bs.modal", function () {
    (pending && pending.dropped ? reasonInput : stageSelect).focus();
  });

  // Cancelling a drop on the lost column puts the card back.
  modalElement.addEventListener("hidden.bs.modal", function () {
    const move = pending;
    pending = null;
    if (move && !submitted && move.dropped) {
      putBack(move);
    }
    if (move && move.card.isConnected) {
      const button = move.card.querySelector("[data-move-button]");
      if (button) {
        button.focus();
      }
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const move = pending;
    if (!move) {
      return;
    }
    const reason = reasonInput.value.trim();
    if (isLost(stageSelect.value) && !reason) {
      reasonInput.classList.add("is-invalid");
      reasonInput.focus();
      return;
    }
    move.stage = stageSelect.value;
    submitted = true;
    modal.hide();
    if (!move.dropped) {
      if (move.stage === move.from.dataset.stage) {
        return;
      }
      // Show the card in its new column at once; a refusal puts it back.
      const target = listFor(move.stage);
      target.insertBefore(move.card, target.firstChild);
    }
    send(move, isLost(move.stage) ? reason : "");
  });

  // A locked card says why it cannot be moved: on its lock, and when someone tries to drag it.
  board.addEventListener("click", function (event) {
    const lock = event.target.closest("[data-locked-button]");
    if (lock) {
      notify(lock.getAttribute("aria-label"), "warning");
    }
  });
  let press = null;
  board.addEventListener("pointerdown", function (event) {
    const card = event.target.closest(".board-card:not([data-movable])");
    press = card && !event.target.closest("a, button") ? { x: event.clientX, y: event.clientY, card: card } : null;
  });
  board.addEventListener("pointermove", function (event) {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > 10) {
      const lock = press.card.querySelector("[data-locked-button]");
      press = null;
      if (lock) {
        notify(lock.getAttribute("aria-label"), "warning");
      }
    }
  });
  document.addEventListener("pointerup", function () {
    press = null;
  });

  // The owner filter applies as soon as an owner is picked (data-autosubmit, crm.js).
  document.querySelectorAll("[data-owner-apply]").forEach(function (apply) {
    apply.hidden = true;
  });

  board.addEventListener("click", function (event) {
    const button = event.target.closest("[data-move-button]");
    if (!button) {
      return;
    }
    const card = button.closest(".board-card");
    const from = card.parentNode;
    const stage = from.dataset.stage;
    ask({ card: card, from: from, next: card.nextSibling, stage: stage, dropped: false });
  });

  // Where each dragged card came from, to put it back if the move is refused.
  let origin = null;

  function dropped(event) {
    if (event.to === event.from) {
      return;
    }
    const move = {
      card: event.item,
      from: origin.from,
      next: origin.next,
      stage: event.to.dataset.stage,
      dropped: true,
    };
    if (isLost(move.stage)) {
      ask(move);
    } else {
      send(move, "");
    }
  }

  const options = {
    sort: false, // the order within a column is the close date's, not the user's
    draggable: ".board-card[data-movable]",
    filter: "[data-move-button]",
    preventOnFilter: false,
    // On touch screens a press held for a moment starts the drag, so a swipe still scrolls.
    delay: 200,
    delayOnTouchOnly: true,
    touchStartThreshold: 5,
    animation: 150,
    ghostClass: "board-card-ghost",
    chosenClass: "board-card-chosen",
    dragClass: "board-card-drag",
    onStart: function (event) {
      origin = { from: event.from, next: event.item.nextSibling };
    },
    onEnd: dropped,
  };

  board.querySelectorAll(".board-cards[data-cards]").forEach(function (list) {
    window.Sortable.create(list, Object.assign({ group: "pipeline" }, options));
  });
  // Won and lost take cards but give none back: closed deals are not on the board.
  board.querySelectorAll(".board-dropzone[data-cards]").forEach(function (zone) {
    const group = { name: "pipeline", pull: false, put: true };
    window.Sortable.create(zone, Object.assign({}, options, { group: group }));
  });
})();
