/* The decision-table editor: dmn-js's modeler opened on a .dmn file of a version, or on a new empty table. */
(function () {
  "use strict";
  var el = document.getElementById("dmn");
  var rules = window.ZgRules, M = rules.messages;
  if (!el) { return; }
  if (!window.DmnJS) { rules.status(M.not_built, "error"); return; }
  // dmn-js's translate service, fed the page's dictionary (the catalog's words for its English texts)
  var termsEl = document.getElementById("zg-dmn-terms");
  var terms = termsEl ? JSON.parse(termsEl.textContent) : {};
  function translate(template, replacements) {
    return (terms[template] || template).replace(/{([^}]+)}/g, function (all, key) {
      return replacements && key in replacements ? replacements[key] : all;
    });
  }
  // each view takes its own additionalModules (dmn-js replaces the common ones with the view's)
  var translation = function () { return { additionalModules: [{ translate: ["value", translate] }] }; };
  var editor = new window.DmnJS({
    container: el,
    common: { keyboard: { bindTo: window } },
    drd: translation(), decisionTable: translation(), literalExpression: translation(), boxedExpression: translation()
  });
  var name = el.dataset.file;
  window.zgDecisions = editor;

  function openTable() {
    var table = editor.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return table ? editor.open(table) : Promise.resolve();
  }

  function watch() {
    var viewer = editor.getActiveViewer();
    if (viewer) { viewer.on("elements.changed", function () { page.dirty = true; }); }
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

  var page = rules.openFile({ url: el.dataset.xml, name: name, load: load, files: files,
                              dirty: el.dataset.xml.indexOf("new.dmn") >= 0 });
  editor.on("views.changed", watch);
})();
