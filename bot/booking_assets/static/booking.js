/* Booking pages, enhanced: show times in the browser's own time zone without a reload, leaving out times in
   the middle of the night there (outside 07:00-21:00) when others remain. The pages work without this file;
   it only re-renders what the server already drew in another zone. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");
  var body = document.body;

  function validZone(zone) {
    try {
      new Intl.DateTimeFormat("en-GB", { timeZone: zone }).format(new Date());
      return true;
    } catch (e) {
      return false;
    }
  }

  function format(date, zone, options) {
    options.timeZone = zone;
    return new Intl.DateTimeFormat("en-GB", options).format(date);
  }

  // Same shapes as the server's labels (bot/booking.py): "Tuesday 3 March" and "09:00 – 09:30".
  function dayLabel(date, zone) {
    return format(date, zone, { weekday: "long", day: "numeric", month: "long" });
  }
  function dayKey(date, zone) {
    return format(date, zone, { year: "numeric", month: "2-digit", day: "2-digit" });
  }
  function clock(date, zone) {
    return format(date, zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  function span(start, end, zone) {
    return clock(start, zone) + " \u2013 " + clock(end, zone);
  }
  function prettyZone(zone) {
    return zone.replace(/_/g, " ");
  }

  function minutesOfDay(date, zone) {
    var parts = clock(date, zone).split(":");
    return Number(parts[0]) * 60 + Number(parts[1]);
  }
  // Inside the candidate's day: starting at 07:00 or later and ending by 21:00, on one day.
  function inTheirDay(radio, zone) {
    var start = new Date(radio.value);
    var end = new Date(radio.getAttribute("data-end"));
    var from = minutesOfDay(start, zone);
    var to = minutesOfDay(end, zone);
    return from >= 7 * 60 && to <= 21 * 60 && to > from;
  }

  function regroupSlots(list, zone, dayOnly) {
    var radios = Array.prototype.slice.call(list.querySelectorAll("input[type=radio][name=start]"));
    if (dayOnly) {
      var awake = radios.filter(function (radio) { return inTheirDay(radio, zone); });
      if (awake.length) {
        radios.forEach(function (radio) {
          if (awake.indexOf(radio) < 0) { radio.checked = false; radio.closest("label").remove(); }
        });
        radios = awake;
      }
    }
    var groups = [];
    var byKey = {};
    radios.forEach(function (radio) {
      var start = new Date(radio.value);
      var end = new Date(radio.getAttribute("data-end"));
      var key = dayKey(start, zone);
      if (!byKey[key]) {
        byKey[key] = { label: dayLabel(start, zone), items: [] };
        groups.push(byKey[key]);
      }
      var label = radio.closest("label");
      label.querySelector(".slot-time").textContent = span(start, end, zone);
      byKey[key].items.push(label);
    });
    var fragment = document.createDocumentFragment();
    groups.forEach(function (group, index) {
      var fieldset = document.createElement("fieldset");
      fieldset.className = "day";
      var legend = document.createElement("legend");
      legend.id = "day-" + index;
      legend.textContent = group.label;
      var slots = document.createElement("div");
      slots.className = "slots";
      group.items.forEach(function (item) { slots.appendChild(item); });
      fieldset.appendChild(legend);
      fieldset.appendChild(slots);
      fragment.appendChild(fieldset);
    });
    list.replaceChildren(fragment);
  }

  function render(zone, dayOnly) {
    document.querySelectorAll("[data-slot-list]").forEach(function (list) { regroupSlots(list, zone, dayOnly); });
    document.querySelectorAll("[data-start][data-end]").forEach(function (node) {
      var start = new Date(node.getAttribute("data-start"));
      var end = new Date(node.getAttribute("data-end"));
      node.textContent = dayLabel(start, zone) + ", " + span(start, end, zone);
    });
    document.querySelectorAll("[data-zone-name]").forEach(function (node) {
      node.textContent = prettyZone(zone);
    });
    document.querySelectorAll("input[type=hidden][name=tz]").forEach(function (input) {
      input.value = zone;
    });
    document.querySelectorAll("a[data-keeps-zone]").forEach(function (link) {
      var url = new URL(link.href, location.href);
      url.searchParams.set("tz", zone);
      link.href = url.pathname + url.search;
    });
    var select = document.getElementById("tz");
    if (select) {
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === zone; })) {
        select.add(new Option(prettyZone(zone), zone), 0);
      }
      select.value = zone;
    }
    body.setAttribute("data-tz", zone);
  }

  var select = document.getElementById("tz");
  if (select) {
    select.addEventListener("change", function () {
      if (!validZone(select.value)) { return; }
      render(select.value);
      var url = new URL(location.href);
      url.searchParams.set("tz", select.value);
      history.replaceState(null, "", url.pathname + url.search);
    });
  }

  // An explicit ?tz= (the switcher, or a redirect after a form) wins over what the browser reports.
  var explicit = new URLSearchParams(location.search).has("tz");
  var detected = null;
  try {
    detected = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    detected = null;
  }
  // The zone the browser reports is where the candidate is: times in their night are not offered.
  if (!explicit && detected && validZone(detected) && detected !== body.getAttribute("data-tz")) {
    render(detected, true);
  }
})();
