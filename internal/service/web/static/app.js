// The dashboard's own script. It runs under a Content-Security-Policy that
// allows only this site's files, so it is a file, not inline.
//
// 1. Every htmx request carries the session's CSRF token in the
//    X-CSRF-Token header, read from <meta name="csrf-token">.
// 2. htmx swaps the answers of refused changes and of errors (a message
//    fragment) instead of dropping them, so that the person sees why.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (evt) {
    var token = csrfToken();
    if (token) {
      evt.detail.headers["X-CSRF-Token"] = token;
    }
  });

  var shownStatuses = { 400: true, 403: true, 404: true, 409: true, 410: true, 413: true, 415: true, 422: true, 429: true, 500: true };
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && shownStatuses[xhr.status]) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  // A session that ended while the page was open: go to the sign-in page
  // rather than swapping it into a fragment.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.status === 401) {
      evt.detail.shouldSwap = false;
      window.location.assign("/signin");
    }
  });

  // While an htmx form is being sent, its button says so and cannot be
  // pressed twice.
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.tagName === "FORM") {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
      });
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = evt.detail.elt;
    if (form && form.tagName === "FORM") {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = false;
        b.removeAttribute("aria-busy");
      });
    }
  });
})();
