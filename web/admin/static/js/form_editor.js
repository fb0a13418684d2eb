/* The form editor: the definition file as text, previewed live as an officer would see the form. */
(function () {
  "use strict";
  var text = document.getElementById("form-text");
  var rules = window.ZgRules;
  if (!text) { return; }
  var preview = document.getElementById("form-preview");
  var problems = document.getElementById("form-problems");
  var timer = null, sent = 0, dirty = false;

  function show(result) {
    problems.innerHTML = "";
    (result.problems || []).forEach(function (message) {
      var li = document.createElement("li");
      li.textContent = message;
      problems.appendChild(li);
    });
    if (result.html) { preview.innerHTML = result.html; }
    preview.classList.toggle("stale", !result.html);
  }

  function refresh() {
    var mine = ++sent;
    rules.post(text.dataset.preview, { text: text.value }).then(function (result) {
      if (mine === sent) { show(result.data); }
    }).catch(function (err) { rules.status(err.message, "error"); });
  }

  text.addEventListener("input", function () {
    dirty = true;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = rules.messages.unsaved; }
  });
  rules.init({
    files: function () {
      var out = {};
      out[text.dataset.file] = text.value;
      return Promise.resolve(out);
    },
    saved: function () { dirty = false; }
  });
})();
