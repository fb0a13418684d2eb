/* The settings editor: labelled fields, checked and compared with the active version as they change. */
(function () {
  "use strict";
  var form = document.getElementById("settings-form");
  var rules = window.ZgRules;
  if (!form) { return; }
  var changes = document.getElementById("settings-changes");
  var timer = null, sent = 0, dirty = false;

  function values() {
    var out = {};
    form.querySelectorAll("input[name]").forEach(function (input) {
      out[input.name] = input.type === "checkbox" ? input.checked : input.value;
    });
    return out;
  }

  function preview() {
    var mine = ++sent;
    return rules.post(form.dataset.preview, { values: values() }).then(function (result) {
      if (mine === sent) { changes.innerHTML = result.data.html; }
      return result.data;
    });
  }

  form.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(function () { preview().catch(function (err) { rules.status(err.message, "error"); }); }, 300);
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = rules.messages.unsaved; }
  });
  rules.init({
    files: function () { return preview().then(function (data) { return data.files; }); },
    saved: function () { dirty = false; }
  });
})();
