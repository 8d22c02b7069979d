// Continue the login. If the browser kept no cookie of ours (a platform's iframe with
// third-party cookies blocked), first ask the tool to bind this login to the browser another
// way; only if that fails, offer a new window.
(function () {
  var check = document.getElementById("cookie-check");
  var go = function () { window.location.replace(check.dataset.authUrl); };
  if (document.cookie.indexOf("lti-cookie-check=1") !== -1) {
    go();
    return;
  }
  var body = new URLSearchParams({ state: check.dataset.state });
  fetch(check.dataset.cookielessUrl, { method: "POST", body: body, credentials: "omit" })
    .then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      go();
    })
    .catch(function () {
      check.hidden = true;
      document.getElementById("cookies-blocked").hidden = false;
    });
})();
