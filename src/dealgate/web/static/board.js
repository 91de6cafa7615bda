// Drag a card onto a later column to ask the gate to move it there. The drop submits the
// same form a button does, so the answer is the same page: the notice, or the refusal on the
// card saying why it stays. The buttons stay for keyboards and for browsers without this.
(function () {
  "use strict";
  let dragged = null;

  function columnAt(event) {
    if (!dragged || !event.target.closest) return null;
    return event.target.closest(".column[data-stage], .drop-zone");
  }

  function clearTargets() {
    document.querySelectorAll(".drop-target").forEach((c) => c.classList.remove("drop-target"));
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest ? event.target.closest(".card[draggable=true]") : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.setData("text/plain", card.dataset.id);
    event.dataTransfer.effectAllowed = "move";
    document.body.classList.add("dragging"); // shows the won and lost zones
  });

  document.addEventListener("dragover", (event) => {
    const column = columnAt(event);
    if (!column) return;
    event.preventDefault(); // this column takes the drop
    clearTargets();
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", (event) => {
    const column = columnAt(event);
    if (!column) return;
    event.preventDefault();
    clearTargets();
    const card = dragged;
    dragged = null;
    document.body.classList.remove("dragging");
    if ("lose" in column.dataset) {
      // Losing a deal needs its reason: the deal page asks for it.
      window.location.assign("/deals/" + card.dataset.id + "?lose=1#l-reason");
      return;
    }
    if (column.dataset.stage === card.dataset.stage) return; // dropped where it was
    const form = document.getElementById("move-card");
    const url = "/deals/" + card.dataset.id + "/advance";
    form.elements.to.value = column.dataset.stage;
    if (window.htmx) {
      // htmx reads a boosted form's address once, so the move is sent as the form's values.
      window.htmx.ajax("POST", url, { source: form, target: "body", swap: "innerHTML" });
    } else {
      form.setAttribute("action", url);
      form.submit();
    }
  });

  document.addEventListener("dragend", () => {
    dragged = null;
    document.body.classList.remove("dragging");
    clearTargets();
  });
})();
