// Care365: alerts reach the open page at once (server-sent events from /api/v1/events).
// A new alert shows a banner, sounds, and raises a browser notification where allowed; a page
// showing an alert or the board reloads when an alert changes. A family that asks again for help
// on an open alert rings the page again; a new follow-up task (a mandatory report) shows a banner. No inline scripts: the texts come
// translated in data attributes of <body>.
(function () {
  "use strict";
  var body = document.body;
  var url = body.dataset.events;
  if (!url || !window.EventSource) {
    return;
  }
  var text = {
    alert: body.dataset.textAlert || "New alert",
    open: body.dataset.textOpen || "Open",
    enable: body.dataset.textEnable || "Turn on notifications",
    followUp: body.dataset.textFollowUp || "New follow-up task",
  };
  var ringing = null;

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    try {
      var ctx = new Context();
      var now = ctx.currentTime;
      [0, 0.35, 0.7].forEach(function (offset) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        osc.type = "square";
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, now + offset);
        gain.gain.setValueAtTime(0, now + offset + 0.2);
        osc.connect(gain).connect(ctx.destination);
        osc.start(now + offset);
        osc.stop(now + offset + 0.22);
      });
    } catch (e) {
      // Sound is a courtesy: the banner and the notification still show.
    }
  }

  function banner(data, heading) {
    var box = document.getElementById("alert-banner");
    if (!box) {
      box = document.createElement("div");
      box.id = "alert-banner";
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.textContent = "";
    var strong = document.createElement("strong");
    var kind = data.kind_label || data.kind || "";
    strong.textContent = (heading || text.alert) + " #" + data.alert + (kind ? " · " + kind : "") +
      (data.village ? " · " + data.village : "");
    var link = document.createElement("a");
    link.href = "/alerts/" + data.alert + "/";
    link.className = "button primary";
    link.textContent = text.open;
    box.appendChild(strong);
    box.appendChild(document.createTextNode(" "));
    box.appendChild(link);
    box.dataset.alert = String(data.alert);
    box.hidden = false;
    if (window.Notification && Notification.permission === "default") {
      var ask = document.createElement("button");
      ask.type = "button";
      ask.textContent = text.enable;
      ask.addEventListener("click", function () {
        Notification.requestPermission();
        ask.remove();
      });
      box.appendChild(document.createTextNode(" "));
      box.appendChild(ask);
    }
  }

  function notify(data) {
    if (window.Notification && Notification.permission === "granted") {
      try {
        var n = new Notification(text.alert + " #" + data.alert, {
          body: (data.kind_label || data.kind || "") + (data.village ? " · " + data.village : ""),
          tag: "care365-alert-" + data.alert,
          requireInteraction: true,
        });
        n.onclick = function () {
          window.focus();
          window.location.href = "/alerts/" + data.alert + "/";
        };
      } catch (e) {
        // Some mobile browsers only notify from a service worker; the banner is enough.
      }
    }
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (e) {
      return null;
    }
  }

  function onAlert(event) {
    var data = parse(event);
    if (!data || data.alert === undefined) {
      return;
    }
    banner(data);
    notify(data);
    beep();
    if (ringing) {
      window.clearInterval(ringing);
    }
    ringing = window.setInterval(beep, 15000);
    if (body.dataset.board) {
      window.location.reload();
    }
  }

  // The family asked again while the alert is open: ring again, as for a new alert.
  function onRepeated(event) {
    var data = parse(event);
    if (!data || data.alert === undefined || data.state === "resolved") {
      return;
    }
    onAlert(event);
    if (body.dataset.alertId === String(data.alert)) {
      window.location.reload();
    }
  }

  function onFollowUp(event) {
    var data = parse(event);
    if (!data || data.alert === undefined) {
      return;
    }
    banner(data, text.followUp);
    if (body.dataset.board) {
      window.location.reload();
    }
  }

  function onUpdate(event) {
    var data = parse(event);
    if (!data) {
      return;
    }
    var box = document.getElementById("alert-banner");
    if (box && box.dataset.alert === String(data.alert) && data.state !== "open" && ringing) {
      window.clearInterval(ringing);
      ringing = null;
    }
    if (body.dataset.alertId === String(data.alert) || body.dataset.board) {
      window.location.reload();
    }
  }

  var source = new EventSource(url);
  source.addEventListener("alert", onAlert);
  source.addEventListener("alert_update", onUpdate);
  source.addEventListener("alert_repeated", onRepeated);
  source.addEventListener("follow_up", onFollowUp);
  window.care365Events = source;
})();
