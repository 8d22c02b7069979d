// The development dialogue in one pass.  Choosing a target above the current level shows
// that competence's learning activities at once, and "Fill in the role profile's targets"
// fills the targets in place; nothing is saved until "Save as a new version".  Without
// JavaScript the same two buttons ask the server, which saves nothing either.
(function () {
  var form = document.getElementById("plan-form");
  if (!form) { return; }
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-competence]"));
  var noOptions = document.getElementById("no-options");

  function groupOf(select) {
    return form.querySelector('[data-options-for="' + select.dataset.competence + '"]');
  }

  function update() {
    var anyShown = false;
    selects.forEach(function (select) {
      var group = groupOf(select);
      if (!group) { return; }
      var level = Number(select.dataset.level || 0);
      var raw = select.value !== "" ? select.value : (select.dataset.profileTarget || "");
      var gap = raw !== "" && Number(raw) > level;
      var ticked = group.querySelector("input:checked") !== null;
      group.hidden = !(gap || ticked);
      if (!group.hidden) { anyShown = true; }
    });
    if (noOptions) { noOptions.hidden = anyShown; }
  }

  selects.forEach(function (select) { select.addEventListener("change", update); });
  var suggest = form.querySelector('[data-testid="suggest"]');
  if (suggest) { suggest.hidden = true; }

  var profileForm = document.getElementById("profile-form");
  var status = document.getElementById("profile-status");
  if (profileForm) {
    profileForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var choice = profileForm.querySelector("select");
      var option = choice.options[choice.selectedIndex];
      var targets = JSON.parse(option.dataset.targets || "{}");
      selects.forEach(function (select) {
        var target = targets[select.dataset.competence];
        var value = target === undefined ? "" : String(target);
        select.value = value;
        select.dataset.profileTarget = value;
        var cell = form.querySelector('[data-profile-target-for="' + select.dataset.competence + '"]');
        if (cell) { cell.textContent = value === "" ? "\u2013" : value; }
      });
      var used = document.getElementById("role-profile-used");
      if (!used) {
        used = document.createElement("input");
        used.type = "hidden";
        used.name = "role_profile";
        used.id = "role-profile-used";
        form.appendChild(used);
      }
      used.value = choice.value;
      var named = document.querySelector('[data-testid="role-profile"]');
      if (named) { named.textContent = option.dataset.name || option.textContent; }
      if (status) {
        status.textContent = status.dataset.message.replace("{profile}", option.dataset.name || option.textContent);
        status.hidden = false;
      }
      update();
    });
  }
  update();
}());
