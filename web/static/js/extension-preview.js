// The extension request page: the new due date follows the typed working days (GET .../extension/preview).
(function () {
  "use strict";
  var box = document.getElementById("extension-preview");
  var input = document.getElementById("f-extension_workdays");
  if (!box || !input) { return; }
  var shown = box.querySelector(".ext-new strong");
  input.addEventListener("input", function () {
    var asked = input.value;
    fetch(box.dataset.url + "?workdays=" + encodeURIComponent(asked), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && input.value === asked) { shown.textContent = d.new_due_date || d.problem || "—"; }
      });
  });
})();
