// Continue the login only if the browser kept the tool's cookie; inside an iframe with
// third-party cookies blocked it did not, so offer a new window instead of a failed launch.
(function () {
  var check = document.getElementById("cookie-check");
  if (document.cookie.indexOf("lti-cookie-check=1") !== -1) {
    window.location.replace(check.dataset.authUrl);
  } else {
    check.hidden = true;
    document.getElementById("cookies-blocked").hidden = false;
  }
})();
