// The citizens' app: live car parks, air quality, my street's waste collection, trams and buses, alerts for my
// zone, and push notifications for the topics I choose. Everything comes from this server (no third party);
// my street, zone and choices stay on this phone (localStorage); the last data is kept to show offline.
(function () {
  "use strict";
  const CITY = document.documentElement.dataset.city || "";
  const TIMEZONE = document.documentElement.dataset.timezone || undefined;  // the city's clocks
  const T = {
    fr: { title: CITY + " en direct", alerts: "Alertes", zone: "Ma zone", parking: "Parkings", air: "Qualité de l'air",
      waste: "Collecte des déchets", street: "Ma rue (gardée sur ce téléphone seulement)", transit: "Trams et bus",
      notify: "Notifications", topics: "Me prévenir pour", quiet: "Heures calmes",
      quietOn: "Pas de notification la nuit (sauf alerte grave)", from: "De", to: "à",
      subscribe: "Recevoir les notifications", unsubscribe: "Ne plus rien recevoir", open: "Données ouvertes",
      places: "places libres", of: "sur", full: "COMPLET", unavailable: "indisponible", live: "En direct",
      offline: "Hors ligne : dernières données d'il y a ", minutes: " min", noAlert: "Aucune alerte en cours.",
      next: "Prochaine collecte : ", noDisruption: "Circulation normale", disrupted: "Perturbé",
      subscribed: "Notifications activées.", unsubscribed: "Notifications désactivées.",
      noPush: "Ce navigateur ne permet pas les notifications.", denied: "Notifications refusées.",
      alertsFor: "Alertes de ma zone", airLevel: "Qualité de l'air dégradée", wasteEve: "Rappel la veille de la collecte",
      parkFull: "Parking presque plein : ", up: "en hausse", down: "en baisse", steady: "stable",
      advice: ["", "Profitez de l'air extérieur.", "Profitez de l'air extérieur.",
        "Personnes sensibles : limitez les efforts intenses.", "Limitez les efforts intenses à l'extérieur.",
        "Évitez les efforts à l'extérieur.", "Évitez les activités à l'extérieur."],
      severity: { minor: "mineur", moderate: "modéré", severe: "sévère", extreme: "extrême" } },
    en: { title: CITY + " live", alerts: "Alerts", zone: "My area", parking: "Car parks", air: "Air quality",
      waste: "Waste collection", street: "My street (kept on this phone only)", transit: "Trams and buses",
      notify: "Notifications", topics: "Tell me about", quiet: "Quiet hours",
      quietOn: "No notifications at night (except serious alerts)", from: "From", to: "to",
      subscribe: "Get notifications", unsubscribe: "Stop all notifications", open: "Open data",
      places: "free places", of: "of", full: "FULL", unavailable: "unavailable", live: "Live",
      offline: "Offline: latest data from ", minutes: " min ago", noAlert: "No active alert.",
      next: "Next collection: ", noDisruption: "Running normally", disrupted: "Disrupted",
      subscribed: "Notifications on.", unsubscribed: "Notifications off.",
      noPush: "This browser cannot show notifications.", denied: "Notifications refused.",
      alertsFor: "Alerts for my area", airLevel: "Poor air quality", wasteEve: "Reminder the evening before collection",
      parkFull: "Car park nearly full: ", up: "rising", down: "falling", steady: "steady",
      advice: ["", "Enjoy the outdoors.", "Enjoy the outdoors.", "Sensitive people: limit strenuous exercise.",
        "Limit strenuous exercise outdoors.", "Avoid exercise outdoors.", "Avoid outdoor activities."],
      severity: { minor: "minor", moderate: "moderate", severe: "severe", extreme: "extreme" } },
    nl: { title: CITY + " live", alerts: "Waarschuwingen", zone: "Mijn zone", parking: "Parkings",
      air: "Luchtkwaliteit", waste: "Afvalophaling", street: "Mijn straat (alleen op deze telefoon bewaard)",
      transit: "Trams en bussen", notify: "Meldingen", topics: "Verwittig me over", quiet: "Stille uren",
      quietOn: "Geen meldingen 's nachts (behalve ernstige waarschuwingen)", from: "Van", to: "tot",
      subscribe: "Meldingen ontvangen", unsubscribe: "Niets meer ontvangen", open: "Open data",
      places: "vrije plaatsen", of: "van", full: "VOLZET", unavailable: "niet beschikbaar", live: "Live",
      offline: "Offline: laatste gegevens van ", minutes: " min geleden", noAlert: "Geen lopende waarschuwing.",
      next: "Volgende ophaling: ", noDisruption: "Normaal verkeer", disrupted: "Verstoord",
      subscribed: "Meldingen aan.", unsubscribed: "Meldingen uit.",
      noPush: "Deze browser kan geen meldingen tonen.", denied: "Meldingen geweigerd.",
      alertsFor: "Waarschuwingen voor mijn zone", airLevel: "Slechte luchtkwaliteit",
      wasteEve: "Herinnering de avond voor de ophaling", parkFull: "Parking bijna vol: ", up: "stijgend",
      down: "dalend", steady: "stabiel",
      advice: ["", "Geniet van de buitenlucht.", "Geniet van de buitenlucht.",
        "Gevoelige personen: beperk zware inspanningen.", "Beperk zware inspanningen buiten.",
        "Vermijd inspanningen buiten.", "Vermijd buitenactiviteiten."],
      severity: { minor: "klein", moderate: "matig", severe: "ernstig", extreme: "extreem" } },
    de: { title: CITY + " live", alerts: "Warnungen", zone: "Mein Gebiet", parking: "Parkhäuser",
      air: "Luftqualität", waste: "Müllabfuhr", street: "Meine Straße (nur auf diesem Telefon gespeichert)",
      transit: "Straßenbahnen und Busse", notify: "Benachrichtigungen", topics: "Benachrichtige mich über",
      quiet: "Ruhezeiten", quietOn: "Nachts keine Benachrichtigungen (außer ernsten Warnungen)", from: "Von",
      to: "bis", subscribe: "Benachrichtigungen erhalten", unsubscribe: "Nichts mehr erhalten",
      open: "Offene Daten", places: "freie Plätze", of: "von", full: "BESETZT", unavailable: "nicht verfügbar",
      live: "Live", offline: "Offline: letzte Daten von vor ", minutes: " Min.", noAlert: "Keine aktuelle Warnung.",
      next: "Nächste Abholung: ", noDisruption: "Normaler Betrieb", disrupted: "Gestört",
      subscribed: "Benachrichtigungen an.", unsubscribed: "Benachrichtigungen aus.",
      noPush: "Dieser Browser kann keine Benachrichtigungen anzeigen.", denied: "Benachrichtigungen abgelehnt.",
      alertsFor: "Warnungen für mein Gebiet", airLevel: "Schlechte Luftqualität",
      wasteEve: "Erinnerung am Abend vor der Abholung", parkFull: "Parkhaus fast voll: ", up: "steigend",
      down: "fallend", steady: "gleichbleibend",
      advice: ["", "Genießen Sie die frische Luft.", "Genießen Sie die frische Luft.",
        "Empfindliche Personen: starke Anstrengung einschränken.", "Starke Anstrengung im Freien einschränken.",
        "Anstrengung im Freien vermeiden.", "Aktivitäten im Freien vermeiden."],
      severity: { minor: "gering", moderate: "mäßig", severe: "schwer", extreme: "extrem" } },
  };
  // Each language by its own name, for the switch.
  const NAMES = { fr: "Français", en: "English", nl: "Nederlands", de: "Deutsch" };
  const store = {  // one city per site: the keys are the app's, not a city's
    get: function (k, d) { try { const v = localStorage.getItem("signage." + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; } },
    set: function (k, v) { try { localStorage.setItem("signage." + k, JSON.stringify(v)); } catch (e) { /* private mode */ } },
  };
  // The city's languages that the app speaks, in the city's order (English when it speaks none of them).
  const CITY_LANGUAGES = (document.documentElement.dataset.languages || "").split(",")
    .map(function (l) { return l.slice(0, 2); }).filter(function (l) { return T[l]; });
  const OFFERED = CITY_LANGUAGES.length ? CITY_LANGUAGES : ["en"];
  // The phone's language when the city offers it, else the city's first.
  const phone = (navigator.language || "").slice(0, 2);
  let lang = store.get("lang", OFFERED.indexOf(phone) >= 0 ? phone : OFFERED[0]);
  if (!T[lang]) lang = OFFERED[0];
  const data = store.get("data", { parking: {}, air: {}, waste: {}, transit: {}, alerts: [], zones: [],
    pushTopics: [], at: null });
  const history = {};
  let socket = null, retry = 500, positions = store.get("positions", {});
  let online = navigator.onLine, notifyKey = "";
  const $ = function (id) { return document.getElementById(id); };
  function t(key) { return T[lang][key]; }
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // never parsed as HTML
    return node;
  }
  function save() { data.at = new Date().toISOString(); store.set("data", data); }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (node) { node.textContent = t(node.dataset.t); });
    document.title = t("title");
    const other = OFFERED[(OFFERED.indexOf(lang) + 1) % OFFERED.length];
    $("language").hidden = OFFERED.length < 2;
    $("language").textContent = other.toUpperCase();
    $("language").setAttribute("aria-label", NAMES[other] || other);
    $("language").setAttribute("lang", other);
    setStatus(online);
    if (notifyKey) $("notify-status").textContent = t(notifyKey);
    renderAll();
  }

  function sparkline(points) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark"); svg.setAttribute("width", "160"); svg.setAttribute("height", "28");
    svg.setAttribute("role", "img"); svg.setAttribute("aria-hidden", "true");
    if (points.length > 1) {
      const max = Math.max.apply(null, points) || 1;
      const path = document.createElementNS(ns, "polyline");
      path.setAttribute("fill", "none"); path.setAttribute("stroke", "#0b3d91"); path.setAttribute("stroke-width", "2");
      path.setAttribute("points", points.map(function (v, i) {
        return (i * 158 / (points.length - 1) + 1).toFixed(1) + "," + (27 - v * 26 / max).toFixed(1); }).join(" "));
      svg.appendChild(path);
    }
    return svg;
  }

  function renderParking() {
    const list = $("parking-list");
    list.replaceChildren();
    Object.keys(data.parking).sort().forEach(function (id) {
      const p = data.parking[id];
      const li = el("li"); li.dataset.park = id;
      li.appendChild(el("div", "name", p.name || id));
      const free = p.stale || p.free === null || p.free === undefined ? t("unavailable")
        : p.free > 0 ? p.free + " " + t("places") : t("full");
      const line = el("div", "free", free);
      line.dataset.free = p.free === undefined ? "" : String(p.free);
      li.appendChild(line);
      const series = history[id] || [];
      let trend = "";
      if (series.length > 1) {
        const d = series[series.length - 1] - series[series.length - 2];
        trend = d > 0 ? t("up") : d < 0 ? t("down") : t("steady");
      }
      li.appendChild(el("div", "muted", (p.capacity ? t("of") + " " + p.capacity : "") + (trend ? " · " + trend : "")));
      li.appendChild(sparkline(series));
      list.appendChild(li);
    });
  }

  function renderAir() {
    const card = $("air-card");
    card.replaceChildren();
    Object.keys(data.air).forEach(function (id) {
      const a = data.air[id];
      const level = el("span", "level", (a.index || "?") + "/6 · " + (a.label || ""));
      level.style.background = a.colour || "#eee"; // the colour repeats the words, never replaces them
      card.appendChild(level);
      card.appendChild(el("p", "", t("advice")[a.index] || ""));
    });
  }

  function renderWaste() {
    const select = $("street"), chosen = store.get("street", "");
    select.replaceChildren(el("option", "", "—"));
    Object.keys(data.waste).sort().forEach(function (id) {
      const o = el("option", "", data.waste[id].street || id); o.value = id; if (id === chosen) o.selected = true;
      select.appendChild(o);
    });
    const w = data.waste[chosen];
    $("waste-next").textContent = w && w.next_collection ? t("next") + new Date(w.next_collection).toLocaleString(lang,
      { timeZone: TIMEZONE, weekday: "long", hour: "2-digit", minute: "2-digit" }) : "";
  }

  function renderTransit() {
    const list = $("transit-list");
    list.replaceChildren();
    Object.keys(data.transit).sort().forEach(function (id) {
      const l = data.transit[id];
      const li = el("li");
      li.appendChild(el("div", "name", l.line || id));
      li.appendChild(el("div", "", l.disrupted ? t("disrupted") + " : " + (l.header || "") : t("noDisruption")));
      list.appendChild(li);
    });
  }

  function renderAlerts() {
    const select = $("zone"), chosen = store.get("zone", "");
    select.replaceChildren(el("option", "", "—"));
    data.zones.forEach(function (z) {
      const o = el("option", "", z.name); o.value = z.id; if (z.id === chosen) o.selected = true; select.appendChild(o);
    });
    const list = $("alert-list");
    list.replaceChildren();
    const mine = data.alerts.filter(function (a) { return !chosen || a.zones.indexOf(chosen) >= 0 || a.resolved; });
    if (!mine.length) { list.appendChild(el("li", "muted", t("noAlert"))); return; }
    mine.forEach(function (a) {
      const li = el("li");
      li.appendChild(el("div", "severity", T[lang].severity[(a.severity || "").toLowerCase()] || a.severity || ""));
      li.appendChild(el("div", "name", (a.headline && (a.headline[lang] || a.headline.fr)) || a.event));
      list.appendChild(li);
    });
  }

  function renderTopics() {
    const box = $("topic-choices"), chosen = store.get("topics", []);
    box.replaceChildren();
    const choices = [];
    const zone = store.get("zone", ""), street = store.get("street", "");
    if (zone) choices.push(["alerts/" + zone, t("alertsFor")]);
    Object.keys(data.air).forEach(function (id) { choices.push(["air/" + id, t("airLevel")]); });
    if (street) choices.push(["waste/" + street, t("wasteEve")]);
    Object.keys(data.parking).sort().forEach(function (id) {
      choices.push(["parking/" + id, t("parkFull") + (data.parking[id].name || id)]); });
    const pushable = data.pushTopics || [];
    choices.filter(function (c) { return !pushable.length || pushable.indexOf(c[0]) >= 0; }).forEach(function (c) {
      const label = el("label"), box2 = document.createElement("input");
      box2.type = "checkbox"; box2.value = c[0]; box2.checked = chosen.indexOf(c[0]) >= 0;
      box2.addEventListener("change", function () {
        const now = store.get("topics", []).filter(function (x) { return x !== c[0]; });
        if (box2.checked) now.push(c[0]);
        store.set("topics", now);
      });
      label.appendChild(box2); label.appendChild(document.createTextNode(" " + c[1]));
      box.appendChild(label); box.appendChild(el("br"));
    });
  }

  function renderAll() { renderAlerts(); renderParking(); renderAir(); renderWaste(); renderTransit(); renderTopics(); }

  function setStatus(isOnline) {
    online = isOnline;
    const status = $("status");
    status.classList.toggle("offline", !online);
    if (online) { status.textContent = t("live"); return; }
    const age = data.at ? Math.round((Date.now() - new Date(data.at).getTime()) / 60000) : 0;
    status.textContent = t("offline") + age + t("minutes");
  }

  function take(topic, value) {
    const kind = topic.split("/")[0], id = topic.slice(kind.length + 1);
    if (kind === "alerts") {
      const others = data.alerts.filter(function (a) { return a.zones.indexOf(id) < 0; });
      data.alerts = others.concat((value.alerts || []).map(function (a) { a.resolved = true; return a; }));
    } else if (data[kind]) {
      data[kind][id] = value;
      if (kind === "parking" && typeof value.free === "number") {
        (history[id] = history[id] || []).push(value.free);
        if (history[id].length > 40) history[id].shift();
      }
    }
    save();
  }

  async function load() {
    try {
      const [index, parking, air, waste, transit, alerts] = await Promise.all(
        ["", "/parking", "/air", "/waste", "/transit", "/alerts"].map(function (p) {
          // no-cache: revalidate (cheap, with ETags) rather than take a copy the browser thinks fresh
          return fetch("/api/v1/open" + p, { cache: "no-cache" }).then(function (r) {
            // A copy the service worker kept is older than what this phone last saw live: keep ours.
            if (!r.ok || r.headers.get("X-Served-From") === "cache") throw new Error("offline");
            return r.json();
          }); }));
      data.zones = index.zones;
      data.pushTopics = index.push_topics || [];
      [["parking", parking], ["air", air], ["waste", waste], ["transit", transit]].forEach(function (pair) {
        data[pair[0]] = {}; pair[1].items.forEach(function (item) { data[pair[0]][item.id] = item; }); });
      data.alerts = alerts.alerts;
      save();
      await Promise.all(Object.keys(data.parking).map(function (id) {
        return fetch("/api/v1/open/parking/" + encodeURIComponent(id) + "/history?hours=3",
          { cache: "no-cache" }).then(function (r) {
          return r.ok ? r.json() : { points: [] }; }).then(function (h) {
          history[id] = h.points.map(function (p) { return p.free; }).filter(function (v) { return typeof v === "number"; });
        });
      }));
      setStatus(true);
    } catch (e) { setStatus(false); }
    renderAll();
    connect();
  }

  function topics() {
    const list = [];
    ["parking", "air", "waste", "transit"].forEach(function (k) {
      Object.keys(data[k]).forEach(function (id) { list.push(k + "/" + id); }); });
    data.zones.forEach(function (z) { list.push("alerts/" + z.id); });
    return list.slice(0, 200);
  }

  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    socket.onopen = function () {
      retry = 500; setStatus(true);
      socket.send(JSON.stringify({ type: "subscribe", topics: topics(), since: positions }));
    };
    socket.onmessage = function (event) {
      const frame = JSON.parse(event.data);
      if (frame.type !== "update") return;
      positions[frame.topic] = { offset: frame.offset, epoch: frame.epoch };
      store.set("positions", positions);
      take(frame.topic, frame.data);
      renderAll();
    };
    socket.onclose = function () {
      setStatus(false);
      setTimeout(connect, retry); retry = Math.min(retry * 2, 30000);
    };
  }

  function b64ToBytes(text) {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  async function subscribe() {
    const status = $("notify-status");
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { notifyKey = "noPush"; status.textContent = t("noPush"); return; }
    try {
      if (window.Notification && Notification.permission !== "granted") {
        const answer = await Notification.requestPermission();
        if (answer !== "granted") { notifyKey = "denied"; status.textContent = t("denied"); return; }
      }
      const registration = await navigator.serviceWorker.ready;
      const key = await fetch("/api/v1/push/vapid-public-key").then(function (r) { return r.json(); });
      const subscription = await registration.pushManager.subscribe(
        { userVisibleOnly: true, applicationServerKey: b64ToBytes(key.public_key) });
      const body = Object.assign(subscription.toJSON(), {
        topics: store.get("topics", []), language: lang,
        quiet_hours: $("quiet-on").checked ? $("quiet-from").value + "-" + $("quiet-to").value : null });
      const response = await fetch("/api/v1/push/subscriptions", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error((await response.json()).error.message);
      store.set("endpoint", body.endpoint);
      notifyKey = "subscribed"; status.textContent = t("subscribed");
      $("unsubscribe").hidden = false;
    } catch (e) { status.textContent = String(e.message || e); }
  }

  async function unsubscribe() {
    const endpoint = store.get("endpoint", "");
    if (endpoint) {
      await fetch("/api/v1/push/subscriptions", { method: "DELETE", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ endpoint: endpoint }) });
    }
    try {
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) await subscription.unsubscribe();
    } catch (e) { /* nothing to undo */ }
    store.set("endpoint", "");
    notifyKey = "unsubscribed";
    $("notify-status").textContent = t("unsubscribed");
    $("unsubscribe").hidden = true;
  }

  $("language").addEventListener("click", function () {
    lang = OFFERED[(OFFERED.indexOf(lang) + 1) % OFFERED.length];
    store.set("lang", lang);
    applyLanguage();
  });
  $("zone").addEventListener("change", function (e) { store.set("zone", e.target.value); renderAll(); });
  $("street").addEventListener("change", function (e) { store.set("street", e.target.value); renderAll(); });
  $("subscribe").addEventListener("click", subscribe);
  $("unsubscribe").addEventListener("click", unsubscribe);
  $("unsubscribe").hidden = !store.get("endpoint", "");
  window.addEventListener("offline", function () { setStatus(false); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
  applyLanguage();
  setStatus(navigator.onLine);
  load();
})();
