/* Two versions of a diagram side by side: added elements green on the right, removed red on the left,
   changed ones orange on both; the two views pan and zoom together. */
(function () {
  "use strict";
  var root = document.getElementById("diff");
  if (!root || !window.BpmnJS) { return; }
  var marks = JSON.parse(root.dataset.marks);
  var sides = { old: { add: marks.removed, kind: "zg-removed" }, new: { add: marks.added, kind: "zg-added" } };
  var viewers = [], pairs = [], syncing = false;

  function draw(el) {
    var side = sides[el.dataset.side];
    if (!el.dataset.xml) { el.classList.add("diagram-error"); el.textContent = el.dataset.missing; return; }
    var viewer = new window.BpmnJS({ container: el });
    viewers.push(viewer);
    pairs.push({ viewer: viewer, container: el });
    return fetch(el.dataset.xml, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
        side.add.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, side.kind); } });
        marks.changed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "zg-changed"); } });
        canvas.zoom("fit-viewport");
        el.dataset.ready = "true";
      })
      .catch(function (err) { el.classList.add("diagram-error"); el.textContent = el.dataset.error + " (" + err.message + ")"; });
  }

  function sync() {
    viewers.forEach(function (viewer) {
      viewer.on("canvas.viewbox.changed", function (event) {
        if (syncing) { return; }
        syncing = true;
        viewers.forEach(function (other) { if (other !== viewer) { other.get("canvas").viewbox(event.viewbox); } });
        syncing = false;
      });
    });
  }

  // Zoom both sides onto the elements that differ, with some of the diagram around them.
  function focus() {
    var xs = [], ys = [];
    viewers.forEach(function (viewer) {
      var registry = viewer.get("elementRegistry");
      marks.added.concat(marks.removed, marks.changed).forEach(function (id) {
        var element = registry.get(id);
        (element ? element.waypoints || [element] : []).forEach(function (b) {
          xs.push(b.x, b.x + (b.width || 0));
          ys.push(b.y, b.y + (b.height || 0));
        });
      });
    });
    if (!xs.length || !viewers.length) { return; }
    var outer = viewers[0].get("canvas").viewbox().outer, ratio = outer.width / outer.height;
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var width = Math.max(x1 - x0 + 300, 900), height = Math.max(y1 - y0 + 300, width / ratio);
    width = Math.max(width, height * ratio);
    var box = { x: (x0 + x1 - width) / 2, y: (y0 + y1 - height) / 2, width: width, height: height };
    syncing = true;
    viewers.forEach(function (viewer) { viewer.get("canvas").viewbox(box); });
    syncing = false;
  }

  Promise.all(Array.prototype.map.call(root.querySelectorAll(".diff-diagram"), draw)).then(function () {
    var toolbar = document.querySelector('.diagram-tools[data-target="diff"]');
    if (toolbar && window.ZGDiagramTools && pairs.length) {
      syncing = true;
      window.ZGDiagramTools.attach(toolbar, pairs);
      syncing = false;
    }
    if (!toolbar) { focus(); }
    sync();
    root.dataset.ready = "true";
  });
})();
