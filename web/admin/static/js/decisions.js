/* The decision-table editor: dmn-js's modeler opened on a .dmn file of a version, or on a new empty table. */
(function () {
  "use strict";
  var el = document.getElementById("dmn");
  var rules = window.ZgRules, M = rules.messages;
  if (!el) { return; }
  if (!window.DmnJS) { rules.status(M.not_built, "error"); return; }
  var editor = new window.DmnJS({ container: el, common: { keyboard: { bindTo: window } } });
  var name = el.dataset.file, dirty = el.dataset.xml.indexOf("new.dmn") >= 0;
  window.zgDecisions = editor;

  function openTable() {
    var table = editor.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? editor.open(table) : Promise.resolve();
  }

  function watch() {
    var viewer = editor.getActiveViewer();
    if (viewer) { viewer.on("elements.changed", function () { dirty = true; }); }
  }

  function load(xml) {
    return editor.importXML(xml).then(openTable).then(function () {
      watch();
      el.dataset.ready = "true";
      document.getElementById("btn-download").disabled = false;
    });
  }

  function files() {
    return editor.saveXML({ format: true }).then(function (result) {
      var out = {};
      out[name] = result.xml;
      return out;
    });
  }

  editor.on("views.changed", watch);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = M.unsaved; }
  });
  fetch(el.dataset.xml, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(load)
    .catch(function (err) { rules.status(M.load_failed + " " + err.message, "error"); });

  rules.init({ files: files, saved: function () { dirty = false; } });
  document.getElementById("btn-download").addEventListener("click", function () {
    files().then(function (out) { rules.download(name, out[name]); });
  });
  rules.onUpload(function (xml) { return load(xml).then(function () { dirty = true; }); });
})();
