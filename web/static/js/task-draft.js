// Nothing typed is lost on a task page: the form is kept in this browser's localStorage while one types
// (key: user + task), put back after a reload, and leaving with unsaved changes asks first. Comments post
// with fetch, so the task form is never reloaded by them. The server-side "Save draft" button still keeps a
// draft for other computers; localStorage is only this browser's copy and is dropped once the task is sent.
(function () {
  "use strict";
  var done = document.getElementById("draft-done");
  if (done) {
    try { window.localStorage.removeItem(done.dataset.draftKey); } catch (e) { /* off */ }
  }
  var form = document.getElementById("task-form");
  if (!form) { return; }
  var key = form.dataset.draftKey;
  var notice = document.getElementById("draft-restored");
  var dirty = false;
  var sending = false;

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "file" && el.type !== "submit" && el.type !== "button";
    });
  }

  function snapshot() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name] = values[el.name] || [];
        if (el.checked) { values[el.name].push(el.value); }
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function apply(values) {
    var changed = false;
    fields().forEach(function (el) {
      if (!(el.name in values)) { return; }
      var value = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") {
        var on = Array.isArray(value) && value.indexOf(el.value) >= 0;
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.value !== value) {
        el.value = value;
        changed = true;
      }
    });
    return changed;
  }

  function read() {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function save() {
    try { window.localStorage.setItem(key, JSON.stringify({ values: snapshot(), at: Date.now() })); } catch (e) { /* full or off */ }
  }

  var stored = read();
  // a page sent back by the server (errors, a conflict) already shows what was typed: it wins over the copy
  if (stored && stored.values && form.dataset.fresh === "true" && apply(stored.values)) {
    dirty = true;
    if (notice) { notice.hidden = false; }
  }

  function typed() { dirty = true; save(); }
  form.addEventListener("input", typed);
  form.addEventListener("change", typed);
  // any form of this page (send, save, claim, urge, reassign) keeps the local copy: no need to ask
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { sending = true; } // a comment posted with fetch stays on the page
  });

  var discard = document.getElementById("draft-discard");
  if (discard) {
    discard.addEventListener("click", function () {
      window.localStorage.removeItem(key);
      dirty = false;
      window.location.reload();
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !sending) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function bindComments() {
    var commentForm = document.querySelector("#comments form.comment-form");
    if (!commentForm || !window.fetch || !window.DOMParser) { return; }
    commentForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = commentForm.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      fetch(commentForm.action, { method: "POST", body: new FormData(commentForm), credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("comments");
          var section = document.getElementById("comments");
          if (fresh && section) { section.replaceWith(fresh); bindComments(); }
        })
        .catch(function () {
          // fall back to a plain post: the typed task form is kept in localStorage and comes back
          sending = true;
          commentForm.submit();
        });
    });
  }
  bindComments();
}());
