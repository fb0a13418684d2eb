/* The panel every rule editor shares: validate, dry run and deploy the edited files; list the problems. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var panel = document.getElementById("rules-panel");
  var messagesEl = document.getElementById("zg-messages");
  var messages = messagesEl ? JSON.parse(messagesEl.textContent) : {};
  var statusEl = document.getElementById("rules-status");

  function status(text, kind, link) {
    if (!statusEl) { return; }
    statusEl.className = "rules-status" + (kind ? " flash flash-" + kind : "");
    statusEl.textContent = text || "";
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      statusEl.appendChild(document.createTextNode(" "));
      statusEl.appendChild(a);
    }
  }

  // POST JSON with the session's CSRF token; resolve to {status, ok, data} or reject with a message.
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": panel ? panel.dataset.csrf : "" },
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        throw new Error(response.redirected ? messages.session_expired : messages.failed + " (HTTP " + response.status + ")");
      }
      return response.json().then(function (data) { return { status: response.status, ok: response.ok, data: data }; });
    });
  }

  function init(editor) {
    if (!panel) { return; }
    var problemsEl = document.getElementById("rules-problems");
    var dryRunEl = document.getElementById("rules-dry-run");
    var buttons = panel.querySelectorAll("button");

    function busy(on) { buttons.forEach(function (b) { b.disabled = on; }); }

    function body(files, extra) {
      var payload = { files: files, base: Number(panel.dataset.base) };
      return Object.assign(payload, extra || {});
    }

    function showProblems(result) {
      problemsEl.innerHTML = result.html || "";
      problemsEl.querySelectorAll("button.problem").forEach(function (button) {
        button.addEventListener("click", function () {
          editor.select && editor.select({ element: button.dataset.element, file: button.dataset.file });
        });
      });
      if (editor.mark) { editor.mark(result.problems || []); }
    }

    function validate() {
      status(messages.checking);
      dryRunEl.innerHTML = "";
      return editor.files().then(function (files) {
        return post(panel.dataset.validate, body(files));
      }).then(function (result) {
        if (!result.ok) { throw new Error(result.data.message); }
        showProblems(result.data);
        status(result.data.valid ? messages.valid : "", result.data.valid ? "success" : "");
        return result.data.valid;
      });
    }

    function dryRun() {
      return validate().then(function (valid) {
        if (!valid) { return; }
        status(messages.running);
        return editor.files().then(function (files) {
          return post(panel.dataset.dryRun, body(files));
        }).then(function (result) {
          if (!result.ok) { throw new Error(result.data.message); }
          dryRunEl.innerHTML = result.data.html;
          status("");
        });
      });
    }

    function deploy() {
      var comment = document.getElementById("deploy-comment");
      if (!comment.value.trim()) {
        status(messages.comment_required, "error");
        comment.focus();
        return Promise.resolve();
      }
      return validate().then(function (valid) {
        if (!valid) { return; }
        status(messages.deploying);
        return editor.files().then(function (files) {
          var url = panel.dataset.deploy + "?active=" + encodeURIComponent(panel.dataset.active);
          return post(url, body(files, { comment: comment.value.trim() }));
        }).then(function (result) {
          if (!result.ok) { throw new Error(result.data.message); }
          panel.dataset.base = panel.dataset.active = String(result.data.version);
          comment.value = "";
          if (editor.saved) { editor.saved(result.data); }
          status(result.data.message, "success", { href: result.data.versions_url, text: messages.versions });
        });
      });
    }

    function run(action) {
      return function () {
        busy(true);
        action().catch(function (err) { status(err.message || messages.failed, "error"); })
          .then(function () { busy(false); });
      };
    }

    document.getElementById("btn-validate").addEventListener("click", run(validate));
    document.getElementById("btn-dry-run").addEventListener("click", run(dryRun));
    document.getElementById("btn-deploy").addEventListener("click", run(deploy));
  }

  // Save text as a file the desktop Camunda Modeler opens.
  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: "application/xml" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name.split("/").pop();
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // Read a chosen local file (at most 2 MiB) and hand its text to `load`.
  function onUpload(load) {
    var input = document.getElementById("file-upload");
    if (!input) { return; }
    input.addEventListener("change", function () {
      var file = input.files[0];
      input.value = "";
      if (!file) { return; }
      if (file.size > 2 * 1024 * 1024) { status(messages.too_large, "error"); return; }
      file.text().then(load).then(function () { status(messages.loaded, "success"); })
        .catch(function (err) { status(messages.load_failed + " " + (err.message || err), "error"); });
    });
  }

  // Wire an XML editor page: warn before leaving with unsaved edits, load the version's file, hook the panel,
  // download and upload. `editor` gives url, name, load(xml), files() and optionally select, mark, dirty.
  // Returns the page state; the editor sets `page.dirty = true` when the user changes something.
  function openFile(editor) {
    var page = { dirty: !!editor.dirty };
    window.addEventListener("beforeunload", function (event) {
      if (page.dirty) { event.preventDefault(); event.returnValue = messages.unsaved; }
    });
    fetch(editor.url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(editor.load)
      .catch(function (err) { status(messages.load_failed + " " + err.message, "error"); });
    init({ files: editor.files, select: editor.select, mark: editor.mark, saved: function () { page.dirty = false; } });
    document.getElementById("btn-download").addEventListener("click", function () {
      editor.files().then(function (out) { download(editor.name, out[editor.name]); });
    });
    onUpload(function (xml) { return editor.load(xml).then(function () { page.dirty = true; }); });
    return page;
  }

  window.ZgRules = {
    messages: messages, status: status, post: post, init: init, download: download, onUpload: onUpload,
    openFile: openFile
  };
})();
