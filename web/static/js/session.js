// Signing out forgets this browser's local copies of task drafts (localStorage keys zg-draft:<user>:<task>):
// on a shared computer the next person must not find what the last one typed. Server-side drafts stay.
(function () {
  "use strict";
  var form = document.getElementById("logout-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    try {
      var store = window.localStorage;
      for (var i = store.length - 1; i >= 0; i--) {
        var key = store.key(i);
        if (key && key.indexOf("zg-draft:") === 0) { store.removeItem(key); }
      }
    } catch (e) { /* storage off: nothing kept */ }
  });
})();
