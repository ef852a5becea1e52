// wagen console: progressive enhancement for the live parts of a page.
//
// An element with data-live="<url>" is refreshed every data-every seconds (default 10) from
// that URL, which answers with the element's new content (its [data-live-body] part). Without
// scripts the page works as it is, with a Refresh link. Same-origin fetches only (the CSP
// allows nothing else); the fragment is parsed as inert HTML and imported.
"use strict";

(function () {
  function refresh(element) {
    var url = element.getAttribute("data-live");
    var status = element.parentNode.querySelector("[data-live-status]");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (text) {
        var parsed = new DOMParser().parseFromString(text, "text/html");
        var fresh = parsed.querySelector("[data-live-body]");
        if (fresh) {
          element.replaceChildren(document.importNode(fresh, true));
        }
        if (status) {
          status.textContent = "Updated " + new Date().toLocaleTimeString();
        }
      })
      .catch(function () {
        if (status) {
          status.textContent = "Could not refresh; the figures below may be old.";
        }
      });
  }

  function start() {
    var elements = document.querySelectorAll("[data-live]");
    Array.prototype.forEach.call(elements, function (element) {
      var every = parseInt(element.getAttribute("data-every") || "10", 10);
      window.setInterval(function () { refresh(element); }, Math.max(every, 3) * 1000);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
