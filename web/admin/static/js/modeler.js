/* The diagram editor: bpmn-js's modeler with the Camunda 7 properties panel, opened on a file of a version. */
(function () {
  "use strict";
  var el = document.getElementById("canvas");
  var rules = window.ZgRules, M = rules.messages;
  if (!el) { return; }
  if (!window.ZhenggaiModeler) { rules.status(M.not_built, "error"); return; }
  var terms = JSON.parse(document.getElementById("zg-panel-terms").textContent);
  var modeler = window.ZhenggaiModeler.create(el, document.getElementById("properties"), terms);
  var name = el.dataset.file, marked = [];
  window.zgModeler = modeler;  // the browser tests drive it as a person would, through the page

  // Fit the diagram into the part of the canvas the palette (tools on the left) does not cover.
  function fit() {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport");
    var palette = el.querySelector(".djs-palette");
    var box = canvas.viewbox(), inner = box.inner, outer = box.outer;
    var offset = palette ? palette.offsetWidth + 24 : 0;
    if (!inner.width || !inner.height) { return; }
    var scale = Math.min((outer.width - offset - 24) / inner.width, (outer.height - 24) / inner.height, 1);
    canvas.viewbox({
      x: inner.x - offset / scale, y: inner.y - (outer.height / scale - inner.height) / 2,
      width: outer.width / scale, height: outer.height / scale
    });
  }

  function ready() {
    fit();
    el.dataset.ready = "true";
    document.getElementById("btn-download").disabled = false;
  }

  function load(xml) {
    return modeler.importXML(xml).then(ready);
  }

  function files() {
    return modeler.saveXML({ format: true }).then(function (result) {
      var out = {};
      out[name] = result.xml;
      return out;
    });
  }

  function select(problem) {
    if (problem.file && problem.file !== name) {
      rules.status(M.not_here + " " + problem.file, "warn");
      return;
    }
    var element = problem.element && modeler.get("elementRegistry").get(problem.element);
    if (!element) { return; }
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element, { top: 120, bottom: 120, left: 200, right: 200 });
  }

  function mark(problems) {
    var canvas = modeler.get("canvas"), registry = modeler.get("elementRegistry");
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "zg-problem"); } });
    marked = problems.filter(function (p) { return p.file === name && p.element && registry.get(p.element); })
      .map(function (p) { return p.element; });
    marked.forEach(function (id) { canvas.addMarker(id, "zg-problem"); });
  }

  var page = rules.openFile({ url: el.dataset.xml, name: name, load: load, files: files, select: select, mark: mark });
  modeler.on("commandStack.changed", function () { page.dirty = true; });
})();
