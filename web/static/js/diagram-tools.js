/* The controls of a drawn diagram: fit to width (the panel grows as tall as the diagram needs), zoom, 1:1, full
   screen. One toolbar may drive several viewers (the admin diff's two sides). */
(function () {
  "use strict";
  var MIN_HEIGHT = 260, MAX_HEIGHT = 1600, PAD = 24;

  function fitWidth(viewer, container) {
    var canvas = viewer.get("canvas"), inner = canvas.viewbox().inner;
    if (!inner.width) { return; }
    var width = container.clientWidth || 800;
    var scale = Math.min((width - 2 * PAD) / inner.width, 1.4);
    var height = Math.max(MIN_HEIGHT, Math.min(MAX_HEIGHT, Math.ceil(inner.height * scale + 2 * PAD)));
    if (!document.fullscreenElement) { container.style.height = height + "px"; }
    canvas.resized();
    var box = { x: inner.x - PAD / scale, y: inner.y - PAD / scale, width: width / scale,
                height: container.clientHeight / scale };
    canvas.viewbox(box);
    container.dataset.scale = scale.toFixed(3);
  }

  function zoomBy(viewer, factor) {
    var canvas = viewer.get("canvas");
    canvas.zoom(canvas.zoom() * factor, "auto");
  }

  function attach(toolbar, pairs) {
    var frame = toolbar.closest(".diagram-frame") || toolbar.parentNode;
    var actions = {
      fit: function () { pairs.forEach(function (p) { fitWidth(p.viewer, p.container); }); },
      "zoom-in": function () { zoomBy(pairs[0].viewer, 1.25); },
      "zoom-out": function () { zoomBy(pairs[0].viewer, 0.8); },
      actual: function () { pairs[0].viewer.get("canvas").zoom(1, "auto"); },
      fullscreen: function () {
        if (document.fullscreenElement) { document.exitFullscreen(); return; }
        if (frame.requestFullscreen) { frame.requestFullscreen(); }
      }
    };
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button && actions[button.dataset.action]) { actions[button.dataset.action](); }
    });
    document.addEventListener("fullscreenchange", function () {
      var full = document.fullscreenElement === frame;
      frame.classList.toggle("is-fullscreen", full);
      pairs.forEach(function (p) {
        p.container.style.height = full ? (window.innerHeight - toolbar.offsetHeight - 40) + "px" : "";
        p.viewer.get("canvas").resized();
      });
      if (full) { pairs.forEach(function (p) { p.viewer.get("canvas").zoom("fit-viewport", "auto"); }); }
      else { actions.fit(); }
    });
    var resizing;
    window.addEventListener("resize", function () {
      if (document.fullscreenElement) { return; }
      clearTimeout(resizing);
      resizing = setTimeout(actions.fit, 150);
    });
    actions.fit();
  }

  window.ZGDiagramTools = { attach: attach, fitWidth: fitWidth };
})();
