// A header box that ticks every box of its form on the page (the queue of commitments to
// confirm). Without script the boxes are ticked one by one, so it stays hidden until this
// runs; after htmx swaps a page in, the new page's header box is shown too.
(function () {
  "use strict";

  function boxesOf(all) {
    return document.querySelectorAll(`input[name=pick][form="${all.dataset.tickAll}"]`);
  }

  function reveal(root) {
    root.querySelectorAll("input[data-tick-all]").forEach((all) => { all.hidden = false; });
  }

  document.addEventListener("DOMContentLoaded", () => reveal(document));
  document.addEventListener("htmx:load", (event) => reveal(event.target));

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches && target.matches("input[data-tick-all]")) {
      boxesOf(target).forEach((box) => { box.checked = target.checked; });
      return;
    }
    if (!target.matches || !target.matches("input[name=pick][form]")) return;
    // One box changed: the header box shows whether all, some or none are ticked.
    const all = document.querySelector(`input[data-tick-all="${target.getAttribute("form")}"]`);
    if (!all) return;
    const ticked = Array.from(boxesOf(all)).filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxesOf(all).length;
    all.indeterminate = ticked > 0 && !all.checked;
  });
})();
