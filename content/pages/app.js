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
      next: "Prochaine collecte : ", noDisruption: "Circulation normale", disrupted: "Perturbé : ",
      subscribed: "Notifications activées.", unsubscribed: "Notifications désactivées.",
      noPush: "Ce navigateur ne permet pas les notifications.", denied: "Notifications refusées.",
      alertsFor: "Alertes de ma zone", airLevel: "Qualité de l'air dégradée", wasteEve: "Rappel la veille de la collecte",
      parkFull: "Parking presque plein : ", up: "en hausse", down: "en baisse", steady: "stable",
      advice: ["", "Profitez de l'air extérieur.", "Profitez de l'air extérieur.",
        "Personnes sensibles : limitez les efforts intenses.", "Limitez les efforts intenses à l'extérieur.",
        "Évitez les efforts à l'extérieur.", "Évitez les activités à l'extérieur."],
      severity: { minor: "mineur", moderate: "modéré", severe: "sévère", extreme: "extrême" },
      airLabels: ["", "Bon", "Moyen", "Dégradé", "Mauvais", "Très mauvais", "Extrêmement mauvais"],
      departures: "Prochains départs", inMinutes: "dans ", minute: " min", now: "à l'approche", towards: " → ",
      whatToDo: "À faire : ", until: "Jusqu'à ", chart: "Places libres, dernières heures", hourSuffix: " h",
      pending: "Activation en cours…", failed: "Les notifications n'ont pas pu être activées. Réessayez plus tard.",
      slow: "Le service de notifications du navigateur ne répond pas. Réessayez plus tard.",
      blocked: "Notifications bloquées pour ce site : autorisez-les dans les réglages du navigateur.",
      updated: "Mise à jour" },
    en: { title: CITY + " live", alerts: "Alerts", zone: "My area", parking: "Car parks", air: "Air quality",
      waste: "Waste collection", street: "My street (kept on this phone only)", transit: "Trams and buses",
      notify: "Notifications", topics: "Tell me about", quiet: "Quiet hours",
      quietOn: "No notifications at night (except serious alerts)", from: "From", to: "to",
      subscribe: "Get notifications", unsubscribe: "Stop all notifications", open: "Open data",
      places: "free places", of: "of", full: "FULL", unavailable: "unavailable", live: "Live",
      offline: "Offline: latest data from ", minutes: " min ago", noAlert: "No active alert.",
      next: "Next collection: ", noDisruption: "Running normally", disrupted: "Disrupted: ",
      subscribed: "Notifications on.", unsubscribed: "Notifications off.",
      noPush: "This browser cannot show notifications.", denied: "Notifications refused.",
      alertsFor: "Alerts for my area", airLevel: "Poor air quality", wasteEve: "Reminder the evening before collection",
      parkFull: "Car park nearly full: ", up: "rising", down: "falling", steady: "steady",
      advice: ["", "Enjoy the outdoors.", "Enjoy the outdoors.", "Sensitive people: limit strenuous exercise.",
        "Limit strenuous exercise outdoors.", "Avoid exercise outdoors.", "Avoid outdoor activities."],
      severity: { minor: "minor", moderate: "moderate", severe: "severe", extreme: "extreme" },
      airLabels: ["", "Good", "Fair", "Degraded", "Poor", "Very poor", "Extremely poor"],
      departures: "Next departures", inMinutes: "in ", minute: " min", now: "arriving", towards: " → ",
      whatToDo: "What to do: ", until: "Until ", chart: "Free places, last hours", hourSuffix: ":00",
      pending: "Turning notifications on…", failed: "Notifications could not be turned on. Please try again later.",
      slow: "The browser's notification service does not answer. Please try again later.",
      blocked: "Notifications are blocked for this site: allow them in the browser's settings.",
      updated: "Updated" },
    nl: { title: CITY + " live", alerts: "Waarschuwingen", zone: "Mijn zone", parking: "Parkings",
      air: "Luchtkwaliteit", waste: "Afvalophaling", street: "Mijn straat (alleen op deze telefoon bewaard)",
      transit: "Trams en bussen", notify: "Meldingen", topics: "Verwittig me over", quiet: "Stille uren",
      quietOn: "Geen meldingen 's nachts (behalve ernstige waarschuwingen)", from: "Van", to: "tot",
      subscribe: "Meldingen ontvangen", unsubscribe: "Niets meer ontvangen", open: "Open data",
      places: "vrije plaatsen", of: "van", full: "VOLZET", unavailable: "niet beschikbaar", live: "Live",
      offline: "Offline: laatste gegevens van ", minutes: " min geleden", noAlert: "Geen lopende waarschuwing.",
      next: "Volgende ophaling: ", noDisruption: "Normaal verkeer", disrupted: "Verstoord: ",
      subscribed: "Meldingen aan.", unsubscribed: "Meldingen uit.",
      noPush: "Deze browser kan geen meldingen tonen.", denied: "Meldingen geweigerd.",
      alertsFor: "Waarschuwingen voor mijn zone", airLevel: "Slechte luchtkwaliteit",
      wasteEve: "Herinnering de avond voor de ophaling", parkFull: "Parking bijna vol: ", up: "stijgend",
      down: "dalend", steady: "stabiel",
      advice: ["", "Geniet van de buitenlucht.", "Geniet van de buitenlucht.",
        "Gevoelige personen: beperk zware inspanningen.", "Beperk zware inspanningen buiten.",
        "Vermijd inspanningen buiten.", "Vermijd buitenactiviteiten."],
      severity: { minor: "klein", moderate: "matig", severe: "ernstig", extreme: "extreem" },
      airLabels: ["", "Goed", "Redelijk", "Matig", "Slecht", "Zeer slecht", "Extreem slecht"],
      departures: "Volgende vertrekken", inMinutes: "over ", minute: " min", now: "komt aan", towards: " → ",
      whatToDo: "Wat te doen: ", until: "Tot ", chart: "Vrije plaatsen, laatste uren", hourSuffix: ":00",
      pending: "Meldingen worden aangezet…", failed: "Meldingen konden niet worden aangezet. Probeer het later opnieuw.",
      slow: "De meldingsdienst van de browser antwoordt niet. Probeer het later opnieuw.",
      blocked: "Meldingen zijn geblokkeerd voor deze site: sta ze toe in de instellingen van de browser.",
      updated: "Bijgewerkt" },
    de: { title: CITY + " live", alerts: "Warnungen", zone: "Mein Gebiet", parking: "Parkhäuser",
      air: "Luftqualität", waste: "Müllabfuhr", street: "Meine Straße (nur auf diesem Telefon gespeichert)",
      transit: "Straßenbahnen und Busse", notify: "Benachrichtigungen", topics: "Benachrichtige mich über",
      quiet: "Ruhezeiten", quietOn: "Nachts keine Benachrichtigungen (außer ernsten Warnungen)", from: "Von",
      to: "bis", subscribe: "Benachrichtigungen erhalten", unsubscribe: "Nichts mehr erhalten",
      open: "Offene Daten", places: "freie Plätze", of: "von", full: "BESETZT", unavailable: "nicht verfügbar",
      live: "Live", offline: "Offline: letzte Daten von vor ", minutes: " Min.", noAlert: "Keine aktuelle Warnung.",
      next: "Nächste Abholung: ", noDisruption: "Normaler Betrieb", disrupted: "Gestört: ",
      subscribed: "Benachrichtigungen an.", unsubscribed: "Benachrichtigungen aus.",
      noPush: "Dieser Browser kann keine Benachrichtigungen anzeigen.", denied: "Benachrichtigungen abgelehnt.",
      alertsFor: "Warnungen für mein Gebiet", airLevel: "Schlechte Luftqualität",
      wasteEve: "Erinnerung am Abend vor der Abholung", parkFull: "Parkhaus fast voll: ", up: "steigend",
      down: "fallend", steady: "gleichbleibend",
      advice: ["", "Genießen Sie die frische Luft.", "Genießen Sie die frische Luft.",
        "Empfindliche Personen: starke Anstrengung einschränken.", "Starke Anstrengung im Freien einschränken.",
        "Anstrengung im Freien vermeiden.", "Aktivitäten im Freien vermeiden."],
      severity: { minor: "gering", moderate: "mäßig", severe: "schwer", extreme: "extrem" },
      airLabels: ["", "Gut", "Mittel", "Mäßig", "Schlecht", "Sehr schlecht", "Extrem schlecht"],
      departures: "Nächste Abfahrten", inMinutes: "in ", minute: " Min.", now: "fährt ein", towards: " → ",
      whatToDo: "Was tun: ", until: "Bis ", chart: "Freie Plätze, letzte Stunden", hourSuffix: ":00",
      pending: "Benachrichtigungen werden eingeschaltet…",
      failed: "Benachrichtigungen konnten nicht eingeschaltet werden. Bitte später erneut versuchen.",
      slow: "Der Benachrichtigungsdienst des Browsers antwortet nicht. Bitte später erneut versuchen.",
      blocked: "Benachrichtigungen sind für diese Seite blockiert: erlauben Sie sie in den Browsereinstellungen.",
      updated: "Aktualisiert" },
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
  const data = Object.assign({ parking: {}, air: {}, waste: {}, transit: {}, departures: {}, alerts: [], zoneAlerts: {},
    zones: [], pushTopics: [], at: null }, store.get("data", {}));
  const history = {};
  let socket = null, attempts = 0, positions = store.get("positions", {});
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
    document.querySelectorAll("footer a[href^='/open']").forEach(function (link) { link.href = "/open?lang=" + lang; });
    document.querySelectorAll("[data-t]").forEach(function (node) { node.textContent = t(node.dataset.t); });
    document.title = t("title");
    const other = OFFERED[(OFFERED.indexOf(lang) + 1) % OFFERED.length];
    $("language").hidden = OFFERED.length < 2;
    $("language").textContent = NAMES[other] || other.toUpperCase();
    $("language").setAttribute("lang", other);
    fillHours();
    setStatus(online);
    if (notifyKey) $("notify-status").textContent = t(notifyKey);
    renderAll();
  }

  // Times on the city's clocks, 24-hour in every language.
  function clock(date, extra) {
    return date.toLocaleString(lang, Object.assign({ timeZone: TIMEZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }, extra || {}));
  }
  function hourOf(date) {
    return Number(date.toLocaleString("en-GB", { timeZone: TIMEZONE, hour: "2-digit", hourCycle: "h23" }));
  }

  // Free places over the last hours: a line over a time axis with the hours marked, and 0 and the capacity.
  function chart(points, capacity) {
    const ns = "http://www.w3.org/2000/svg", W = 320, H = 110, L = 36, R = 8, T = 8, B = 22;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "chart"); svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("width", String(W)); svg.setAttribute("height", String(H));
    function node(tag, attrs, text) {
      const n = document.createElementNS(ns, tag);
      Object.keys(attrs).forEach(function (k) { n.setAttribute(k, String(attrs[k])); });
      if (text !== undefined) n.textContent = text;
      svg.appendChild(n); return n;
    }
    if (points.length < 2) { svg.setAttribute("aria-hidden", "true"); return svg; }
    const t0 = points[0].t, t1 = points[points.length - 1].t, span = Math.max(t1 - t0, 60000);
    const top = Math.max(capacity || 0, Math.max.apply(null, points.map(function (p) { return p.free; }))) || 1;
    const x = function (t) { return L + (t - t0) * (W - L - R) / span; };
    const y = function (v) { return T + (H - T - B) * (1 - v / top); };
    node("line", { x1: L, y1: y(0), x2: W - R, y2: y(0), class: "axis" });
    node("line", { x1: L, y1: T, x2: L, y2: y(0), class: "axis" });
    node("text", { x: L - 4, y: y(0) + 4, "text-anchor": "end" }, "0");
    node("text", { x: L - 4, y: y(top) + 8, "text-anchor": "end" }, String(top));
    const first = new Date(t0); first.setMinutes(60, 0, 0);  // the first full hour in the window
    for (let h = first.getTime(); h <= t1; h += 3600000) {
      node("line", { x1: x(h), y1: y(0), x2: x(h), y2: y(0) + 4, class: "axis" });
      node("text", { x: x(h), y: H - 4, "text-anchor": "middle" }, hourOf(new Date(h)) + t("hourSuffix"));
    }
    node("polyline", { class: "line", points: points.map(function (p) { return x(p.t).toFixed(1) + "," + y(p.free).toFixed(1); }).join(" ") });
    svg.setAttribute("role", "img");
    const last = points[points.length - 1];
    svg.setAttribute("aria-label", t("chart") + " : " + points[0].free + " → " + last.free + " (" + clock(new Date(t0)) + "–" + clock(new Date(t1)) + ")");
    return svg;
  }

  function renderParking() {
    const list = $("parking-list");
    list.replaceChildren();
    Object.keys(data.parking).sort(function (a, b) {
      return (data.parking[a].name || a).localeCompare(data.parking[b].name || b, lang); }).forEach(function (id) {
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
        const d = series[series.length - 1].free - series[series.length - 2].free;
        trend = d > 0 ? t("up") : d < 0 ? t("down") : t("steady");
      }
      li.appendChild(el("div", "muted", (p.capacity ? t("of") + " " + p.capacity : "") + (trend ? " · " + trend : "")));
      li.appendChild(chart(series, p.capacity));
      list.appendChild(li);
    });
  }

  function renderAir() {
    const card = $("air-card");
    card.replaceChildren();
    Object.keys(data.air).forEach(function (id) {
      const a = data.air[id];
      const words = t("airLabels")[a.index] || a.label || "";
      const level = el("span", "level", (a.index || "?") + "/6 · " + words);
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
    $("waste-next").textContent = w && w.next_collection ? t("next") + clock(new Date(w.next_collection), { weekday: "long" }) : "";
  }

  function renderTransit() {
    const list = $("transit-list");
    list.replaceChildren();
    Object.keys(data.transit).sort().forEach(function (id) {
      const l = data.transit[id];
      const li = el("li"); li.dataset.line = id;
      li.appendChild(el("div", "name", l.line || id));
      li.appendChild(el("div", "", l.disrupted ? t("disrupted") + (l.header || "") : t("noDisruption")));
      list.appendChild(li);
    });
    // Next departures at each stop: the time on the city's clock and the minutes left, soonest first.
    const stops = $("departure-list");
    stops.replaceChildren();
    const now = Date.now();
    Object.keys(data.departures).sort().forEach(function (id) {
      const stop = data.departures[id];
      const coming = (stop.departures || []).map(function (d) {
        return Object.assign({ at: new Date(d.expected || d.aimed || 0).getTime() }, d); })
        .filter(function (d) { return d.at > now - 60000; }).sort(function (a, b) { return a.at - b.at; }).slice(0, 4);
      if (!coming.length || stop.stale) return;
      const li = el("li"); li.dataset.stop = id;
      li.appendChild(el("div", "name", stop.name || stop.stop || id));
      const rows = el("ul", "departures");
      coming.forEach(function (d) {
        const minutes = Math.max(0, Math.round((d.at - now) / 60000));
        const row = el("li");
        row.appendChild(el("span", "line-badge", d.line || ""));
        row.appendChild(el("span", "", t("towards") + (d.destination || "") + " "));
        row.appendChild(el("strong", "", minutes < 1 ? t("now") : t("inMinutes") + minutes + t("minute")));
        row.appendChild(el("span", "muted", " (" + clock(new Date(d.at)) + ")"));
        rows.appendChild(row);
      });
      li.appendChild(rows);
      stops.appendChild(li);
    });
    $("departures-title").hidden = !stops.children.length;
  }

  // One card per alert: an update replaces the alert it references; the same alert heard for several zones
  // shows once. With a zone chosen, the alerts in force there.
  function chainOf(zone) {  // the zone and the zones it lies in: a county-wide warning holds in every town
    const parents = {};
    data.zones.forEach(function (z) { parents[z.id] = z.parent; });
    const chain = [];
    for (let z = zone; z && chain.indexOf(z) < 0; z = parents[z]) chain.push(z);
    return chain;
  }
  function currentAlerts(chosen) {
    let all = [];
    const zones = chosen ? chainOf(chosen) : data.zones.map(function (z) { return z.id; });
    zones.forEach(function (z) {
      all = all.concat(data.zoneAlerts[z] || data.alerts.filter(function (a) { return a.zones.indexOf(z) >= 0; }));
    });
    const replaced = {}, seen = {};
    all.forEach(function (a) { (a.references || []).forEach(function (r) { replaced[r] = true; }); });
    return all.filter(function (a) {
      if (seen[a.id] || replaced[a.id] || a.msg_type === "cancel") return false;
      seen[a.id] = true; return true;
    });
  }
  function text(field) { return field ? field[lang] || field[CITY_LANGUAGES[0]] || Object.values(field)[0] || "" : ""; }
  function renderAlerts() {
    const select = $("zone"), chosen = store.get("zone", "");
    select.replaceChildren(el("option", "", "—"));
    data.zones.forEach(function (z) {
      const o = el("option", "", z.name); o.value = z.id; if (z.id === chosen) o.selected = true; select.appendChild(o);
    });
    const list = $("alert-list");
    list.replaceChildren();
    const mine = currentAlerts(chosen);
    if (!mine.length) { list.appendChild(el("li", "muted", t("noAlert"))); return; }
    mine.forEach(function (a) {
      const severity = (a.severity || "").toLowerCase();
      const li = el("li", "alert sev-" + severity); li.dataset.alert = a.id;
      const badge = el("span", "badge", T[lang].severity[severity] || a.severity || "");
      li.appendChild(badge);
      li.appendChild(el("h3", "name", text(a.headline) || text(a.events) || a.event));
      const description = text(a.description);
      if (description) li.appendChild(el("p", "description", description));
      const instruction = text(a.instruction);
      if (instruction) li.appendChild(el("p", "instruction", t("whatToDo") + instruction));
      if (a.expires) li.appendChild(el("p", "muted", t("until") + clock(new Date(a.expires), { weekday: "long" })));
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
      box.appendChild(label);
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
      data.zoneAlerts[id] = value.alerts || [];  // every alert in force in that zone, as the engine says now
    } else if (data[kind]) {
      data[kind][id] = value;
      if (kind === "parking" && typeof value.free === "number") {
        (history[id] = history[id] || []).push({ t: new Date(value.observed_at || Date.now()).getTime(), free: value.free });
        if (history[id].length > 400) history[id].shift();
      }
    }
    save();
  }

  async function load() {
    try {
      const [index, parking, air, waste, transit, departures, alerts] = await Promise.all(
        ["", "/parking", "/air", "/waste", "/transit", "/departures", "/alerts"].map(function (p) {
          // no-cache: revalidate (cheap, with ETags) rather than take a copy the browser thinks fresh
          return fetch("/api/v1/open" + p, { cache: "no-cache" }).then(function (r) {
            // A copy the service worker kept is older than what this phone last saw live: keep ours.
            if (!r.ok || r.headers.get("X-Served-From") === "cache") throw new Error("offline");
            return r.json();
          }); }));
      data.zones = index.zones;
      data.pushTopics = index.push_topics || [];
      [["parking", parking], ["air", air], ["waste", waste], ["transit", transit], ["departures", departures]].forEach(function (pair) {
        data[pair[0]] = {}; pair[1].items.forEach(function (item) { data[pair[0]][item.id] = item; }); });
      data.alerts = alerts.alerts; data.zoneAlerts = {};
      save();
      await Promise.all(Object.keys(data.parking).map(function (id) {
        return fetch("/api/v1/open/parking/" + encodeURIComponent(id) + "/history?hours=3",
          { cache: "no-cache" }).then(function (r) {
          return r.ok ? r.json() : { points: [] }; }).then(function (h) {
          history[id] = h.points.filter(function (p) { return typeof p.free === "number"; })
            .map(function (p) { return { t: new Date(p.observed_at).getTime(), free: p.free }; });
        });
      }));
      setStatus(true);
    } catch (e) { setStatus(false); }
    renderAll();
    connect();
  }

  function topics() {
    const list = [];
    ["parking", "air", "waste", "transit", "departures"].forEach(function (k) {
      Object.keys(data[k]).forEach(function (id) { list.push(k + "/" + id); }); });
    data.zones.forEach(function (z) { list.push("alerts/" + z.id); });
    return list.slice(0, 200);
  }

  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    socket.onopen = function () {
      socket.send(JSON.stringify({ type: "subscribe", topics: topics(), since: positions }));
    };
    socket.onmessage = function (event) {
      const frame = JSON.parse(event.data);
      if (frame.type === "subscribed") { attempts = 0; setStatus(true); }  // accepted, not merely opened
      if (frame.type !== "update") return;
      positions[frame.topic] = { offset: frame.offset, epoch: frame.epoch };
      store.set("positions", positions);
      take(frame.topic, frame.data);
      renderAll();
    };
    socket.onclose = function (event) {
      setStatus(false);
      setTimeout(connect, window.reconnectDelay(attempts++, event.code));
    };
  }

  function b64ToBytes(text) {
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }

  // Quiet hours as whole hours on a 24-hour clock, whatever the phone's own clock format.
  function fillHours() {
    ["quiet-from", "quiet-to"].forEach(function (id) {
      const select = $(id), chosen = select.value || select.dataset.default;
      select.replaceChildren();
      for (let h = 0; h < 24; h++) {
        const value = (h < 10 ? "0" : "") + h + ":00";
        const o = el("option", "", lang === "fr" ? h + " h" : value); o.value = value; o.selected = value === chosen;
        select.appendChild(o);
      }
    });
  }

  // The topics this phone asks to be told about. "My zone's alerts" is my zone and every zone it lies in: an
  // alert is published on the zones it was issued for, and a county-wide warning concerns my town too.
  function pushTopics() {
    const zone = store.get("zone", "");
    const topics = [];
    store.get("topics", []).forEach(function (topic) {
      const more = topic === "alerts/" + zone ? chainOf(zone).map(function (z) { return "alerts/" + z; }) : [topic];
      more.forEach(function (t) { if (topics.indexOf(t) < 0) topics.push(t); });
    });
    return topics;
  }
  function within(promise, ms) {
    return Promise.race([promise, new Promise(function (_, reject) {
      setTimeout(function () { reject(Object.assign(new Error("slow"), { slow: true })); }, ms); })]);
  }
  function notifyState(key) {
    notifyKey = key;
    const status = $("notify-status");
    status.textContent = t(key);
    status.dataset.state = key;
  }
  async function subscribe() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) { notifyState("noPush"); return; }
    const button = $("subscribe");
    button.disabled = true; button.setAttribute("aria-busy", "true");
    notifyState("pending");
    try {
      if (window.Notification && Notification.permission === "denied") { notifyState("blocked"); return; }
      if (window.Notification && Notification.permission !== "granted") {
        const answer = await Notification.requestPermission();
        if (answer !== "granted") { notifyState(answer === "denied" ? "blocked" : "denied"); return; }
      }
      const registration = await within(navigator.serviceWorker.ready, 10000);
      const key = await fetch("/api/v1/push/vapid-public-key").then(function (r) {
        if (!r.ok) throw new Error("key " + r.status); return r.json(); });
      // The browser's push service can take long or never answer: give up after a while and say so.
      const subscription = await within(registration.pushManager.subscribe(
        { userVisibleOnly: true, applicationServerKey: b64ToBytes(key.public_key) }), 15000);
      const body = Object.assign(subscription.toJSON(), {
        topics: pushTopics(), language: lang,
        quiet_hours: $("quiet-on").checked ? $("quiet-from").value + "-" + $("quiet-to").value : null });
      const response = await fetch("/api/v1/push/subscriptions", { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error("subscriptions " + response.status);
      store.set("endpoint", body.endpoint);
      notifyState("subscribed");
      $("unsubscribe").hidden = false;
    } catch (e) {
      // The browser's own words are English and technical: the app says what happened in its language.
      notifyState(e && e.slow ? "slow" : e && e.name === "NotAllowedError" ? "blocked" : "failed");
    } finally {
      button.disabled = false; button.removeAttribute("aria-busy");
    }
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
    notifyState("unsubscribed");
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
