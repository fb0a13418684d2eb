/* Draw the case's diagram with bpmn-js and mark the path the case took. */
(function () {
  "use strict";
  var el = document.getElementById("diagram");
  if (!el) { return; }
  function fail(err) {
    el.classList.add("diagram-error");
    el.textContent = el.dataset.error + (err && err.message ? " (" + err.message + ")" : "");
  }
  if (!window.BpmnJS) { fail(); return; }
  var marks = JSON.parse(el.dataset.marks);
  var done = new Set(marks.done), current = new Set(marks.current), late = new Set(marks.timed_out);
  var viewer = new window.BpmnJS({ container: el });

  function isTimer(node) {
    return (node.eventDefinitions || []).some(function (d) { return d.$type === "bpmn:TimerEventDefinition"; });
  }

  // A flow was taken when its source finished and its target was reached; out of a timer, time ran out.
  function markFlow(canvas, flow) {
    var bo = flow.businessObject;
    var source = bo.sourceRef && bo.sourceRef.id, target = bo.targetRef && bo.targetRef.id;
    if (!done.has(source) || !(done.has(target) || current.has(target))) { return; }
    canvas.addMarker(flow.id, late.has(source) && isTimer(bo.sourceRef) ? "zg-timeout" : "zg-done");
  }

  function mark() {
    var canvas = viewer.get("canvas");
    viewer.get("elementRegistry").forEach(function (element) {
      if (element.type === "bpmn:SequenceFlow") { markFlow(canvas, element); return; }
      if (element.type === "label") { return; }
      if (done.has(element.id)) { canvas.addMarker(element.id, "zg-done"); }
      if (current.has(element.id)) { canvas.addMarker(element.id, "zg-current"); }
      if (late.has(element.id)) { canvas.addMarker(element.id, "zg-timeout"); }
    });
    var toolbar = document.querySelector('.diagram-tools[data-target="diagram"]');
    if (toolbar && window.ZGDiagramTools) { window.ZGDiagramTools.attach(toolbar, [{ viewer: viewer, container: el }]); }
    else { canvas.zoom("fit-viewport"); }
    el.dataset.ready = "true";
  }

  fetch(el.dataset.xml, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(mark)
    .catch(fail);
})();
