/* The calendar table: add and remove day rows (without scripts, blank rows are there to fill). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var rows = document.getElementById("calendar-rows");
  var template = document.getElementById("calendar-row-template");
  if (!rows || !template) { return; }
  rows.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-day");
    if (button) { button.closest("tr").remove(); }
  });
  document.getElementById("add-day").addEventListener("click", function () {
    var row = template.content.firstElementChild.cloneNode(true);
    rows.appendChild(row);
    row.querySelector("input").focus();
  });
})();
