// The console's pages: live preview while typing, submit, publish and roll back; broadcast with targets on a list
// and a map, and stop; the emergency alert; accounts. Every call carries the page's CSRF token; text from the
// server is shown with textContent, never as HTML.
(function () {
  "use strict";
  // The console's words in the staff member's language: French is the source, the page carries the translations.
  const WORDS = JSON.parse((document.getElementById("console-words") || {}).textContent || "{}");
  function t(text, values) {
    const said = WORDS[text] || text;
    return values ? said.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; }) : said;
  }
  const LANG = document.documentElement.lang || "fr";
  const LANE_NAMES = { alert: t("alerte"), operator: t("diffusion"), rule: t("règle"), schedule: t("programmation"), default: t("par défaut") };
  // Instants on the city's clock, 24-hour: staff never read UTC.
  function cityTime(iso) {
    return iso ? new Date(iso).toLocaleString(LANG === "fr" ? "fr-FR" : "en-GB", { dateStyle: "short", timeStyle: "short", hourCycle: "h23",
      timeZone: document.documentElement.dataset.timezone }) : "—";
  }
  // The map of panels (Leaflet, served by the engine): a pin per panel with its name beside it, on the tiles
  // configured for the city, or at its coordinates on a plain background; ``onPin(panel, element)`` for clicks.
  function panelMap(node, onPin) {
    const panels = JSON.parse(node.dataset.panels || "[]");
    const note = $("map-note");
    if (!window.L || !panels.length) { if (note) note.textContent = t("Carte indisponible : la liste des panneaux reste utilisable."); return {}; }
    const map = L.map(node, { scrollWheelZoom: false, attributionControl: Boolean(node.dataset.tiles) });
    if (node.dataset.tiles) {
      L.tileLayer(node.dataset.tiles, { attribution: node.dataset.attribution, maxZoom: 19 }).addTo(map);
    } else if (note) {
      note.textContent = t("Pas de fond de carte configuré (SIGNAGE_MAP_TILES) : les panneaux sont placés à leurs coordonnées.");
    }
    map.fitBounds(L.latLngBounds(panels.map(function (p) { return [p.lat, p.lon]; })).pad(0.15));  // a view first
    const pins = {};
    panels.forEach(function (panel) {
      const icon = L.divIcon({ className: "pin-icon", iconSize: [18, 18] });
      const marker = L.marker([panel.lat, panel.lon], { icon: icon, keyboard: true, title: panel.name, alt: panel.name });
      marker.addTo(map);
      // A name goes to the left when a close neighbour's pin is on its right, so that names never cover each other.
      const crowded = panels.some(function (o) {
        return o !== panel && Math.abs(o.lat - panel.lat) < 0.004 && o.lon > panel.lon && o.lon - panel.lon < 0.02; });
      // A node, not a string: Leaflet would parse a string as HTML.
      marker.bindTooltip(el("span", panel.name), { permanent: true, direction: crowded ? "left" : "right",
        offset: [crowded ? -10 : 10, 0], className: "pin-label" });
      const pin = marker.getElement();
      pin.dataset.panel = panel.id;
      pin.setAttribute("aria-label", panel.name);
      if ("online" in panel) pin.classList.add(panel.online ? "online" : "offline");
      if (onPin) {
        marker.on("click", function () { onPin(panel, pin); });
        pin.addEventListener("keydown", function (event) {  // Leaflet gives a focused pin no key of its own
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onPin(panel, pin); }
        });
      }
      pins[panel.id] = pin;
    });
    return pins;
  }
  // ---- control room: thumbnails and lanes follow the panels live, over the same /ws the kiosks use ---------
  const live = document.querySelector("#panels[data-live]");
  if (live) {
    const pins = panelMap($("panel-map"), function (panel) { location.href = "/admin/panels/" + encodeURIComponent(panel.id); });
    const rows = {};
    live.querySelectorAll("tr[data-panel]").forEach(function (row) { rows["panel/" + row.dataset.panel] = row; });
    const topics = Object.keys(rows);
    const state = document.getElementById("live-status");
    let statusTimer = null;
    const MAX_TOPICS = 200;  // per connection, as the server allows: larger cities use several connections
    for (let i = 0; i < topics.length; i += MAX_TOPICS) follow(topics.slice(i, i + MAX_TOPICS), 0);
    function follow(chunk, attempts) {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
      ws.onopen = function () { ws.send(JSON.stringify({ type: "subscribe", topics: chunk })); };
      ws.onmessage = function (event) {
        const frame = JSON.parse(event.data);
        if (frame.type === "subscribed") { attempts = 0; state.textContent = t("en direct"); }
        const row = rows[frame.topic];
        if (frame.type !== "update" || !row) return;
        const content = frame.data;
        clearTimeout(statusTimer); statusTimer = setTimeout(statuses, 300);  // a change is a good time to look
        const lane = row.querySelector(".lane");
        lane.dataset.lane = content.lane; lane.textContent = LANE_NAMES[content.lane] || content.lane;
        const img = row.querySelector("img");
        const source = "/api/v1/panels/" + row.dataset.panel + "/preview.png?v=" + encodeURIComponent(content.etag);
        if (!img.src.endsWith(source)) {
          img.src = source;
          img.alt = content.pages.map(function (p) { return [p.title].concat(p.lines).join(" / "); }).join(" | ");
        }
      };
      ws.onclose = function (event) {
        state.textContent = t("hors ligne : reconnexion…");
        setTimeout(function () { follow(chunk, attempts + 1); }, window.reconnectDelay(attempts, event.code));
      };
    }
    // A real sign's health: its state and faults here; the details, in words, on its "Pourquoi ?" page.
    const DEVICE_STATES = { ok: t("ok"), error: t("en erreur"), unreachable: t("injoignable"), pending: t("pas encore interrogé") };
    const FAULT_NAMES = { communications: t("communications"), power: t("alimentation"), "attached device": t("équipement raccordé"),
      lamp: t("lampes"), pixel: t("pixels"), photocell: t("photocellule"), message: t("message"), controller: t("contrôleur"),
      "temperature warning": t("température élevée"), "climate control": t("climatisation"),
      "critical temperature": t("température critique"), "drum rotor": t("rotor"), "door open": t("porte ouverte"),
      "humidity warning": t("humidité") };
    function showDevice(row, device) {
      const cell = row.querySelector(".device");
      if (!cell || cell.dataset.state === device.state && cell.dataset.faults === device.faults.join(",")) return;
      cell.dataset.state = device.state;
      cell.dataset.faults = device.faults.join(",");
      cell.replaceChildren(document.createTextNode(t("panneau physique :") + " "));
      const word = DEVICE_STATES[device.state] || device.state;
      cell.appendChild(device.state === "ok" ? document.createTextNode(word) : el("strong", word));
      if (device.faults.length) {
        cell.appendChild(document.createTextNode(" · " + t("défauts :") + " "));
        cell.appendChild(el("strong", device.faults.map(function (f) { return FAULT_NAMES[f] || f; }).join(", ")));
      }
      if (device.state !== "ok") {
        const link = el("a", t("voir pourquoi"));
        link.href = "/admin/panels/" + encodeURIComponent(row.dataset.panel) + "#device";
        cell.appendChild(document.createElement("br"));
        cell.appendChild(link);
      }
    }
    // Online, offline and drift come from the panels' polls and receipts: read again every 10 s.
    async function statuses() {
      const response = await fetch("/api/v1/panels", { credentials: "same-origin" });
      if (!response.ok) return;
      let online = 0;
      (await response.json()).panels.forEach(function (panel) {
        const row = rows["panel/" + panel.id];
        if (!row) return;
        const s = panel.status;
        // A real sign does not poll: it is online when it answers the engine.
        if (panel.device) s.online = panel.device.state === "ok" || panel.device.state === "error";
        if (s.online) online += 1;
        const cell = row.querySelector(".status");
        const device = cell.querySelector(".device");  // a real sign's line stays, updated by showDevice
        cell.replaceChildren();
        const words = panel.device ? [t("répond"), t("ne répond pas")] : [t("en ligne"), t("hors ligne")];
        cell.appendChild(s.online ? document.createTextNode(words[0]) : el("strong", words[1]));
        if (s.drift) { cell.appendChild(document.createTextNode(" · ")); cell.appendChild(el("strong", t("décalage"))); }
        if (device) { cell.appendChild(document.createElement("br")); cell.appendChild(device); }
        row.querySelector(".receipt").textContent = cityTime(s.last_receipt && s.last_receipt.at);
        if (panel.device) showDevice(row, panel.device);
        const pin = pins[panel.id];
        if (pin) { pin.classList.toggle("online", s.online); pin.classList.toggle("offline", !s.online); }
      });
      document.getElementById("online-count").textContent = t("{n} panneau(x) en ligne sur {total}", { n: online, total: Object.keys(rows).length });
    }
    setInterval(statuses, 10000);
  }

  const form = document.querySelector("form[data-csrf]");
  if (!form) return;
  const csrf = form.dataset.csrf;
  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body) });
  }
  // What went wrong, in the console's words: the API's messages are for scripts.
  const FIELD_WORDS = {
    title: t("Écrivez un titre (120 caractères au plus)."), lines: t("Au plus 4 lignes de 120 caractères."),
    targets: t("Choisissez au moins une zone, une étiquette, un panneau ou un sujet connus."),
    priority: t("La priorité va de 1 à 100."), severity: t("Choisissez une gravité de la liste."),
    starts_at: t("Le début n'est pas une date valide."),
    ends_at: t("La fin doit être une date valide, après le début et dans les 31 jours."),
    headline: t("Écrivez le titre de l'alerte en français (200 caractères au plus)."),
    description: t("La description est trop longue (2 000 caractères au plus)."),
    instruction: t("La consigne est trop longue (1 000 caractères au plus)."),
    zones: t("Choisissez au moins une zone."), body: t("La demande est mal formée."),
  };
  const STATUS_WORDS = {
    401: t("Votre session a expiré : reconnectez-vous."), 403: t("Votre rôle ne permet pas cette action."),
    413: t("Le texte est trop long."), 429: t("Trop de demandes à la fois : réessayez dans un instant."),
    503: t("Le serveur est momentanément occupé : réessayez dans un instant."),
  };
  async function problem(response) {
    let error = {};
    try { error = (await response.json()).error || {}; } catch (e) { /* not JSON */ }
    if (STATUS_WORDS[response.status]) return STATUS_WORDS[response.status];
    if (error.field && FIELD_WORDS[error.field]) {
      const unknown = /unknown (.+)$/.exec(error.message || "");
      return FIELD_WORDS[error.field] + (unknown ? " (" + t("inconnu : {what}", { what: unknown[1] }) + ")" : "");
    }
    return error.message || t("Erreur {status}", { status: response.status });
  }
  function el(tag, text, className) {
    const n = document.createElement(tag);
    if (text !== undefined) n.textContent = text;
    if (className) n.className = className;
    return n;
  }
  function $(id) { return document.getElementById(id); }
  function checked(name) {
    return Array.from(form.querySelectorAll("input[name=" + name + "]:checked")).map(function (i) { return i.value; });
  }

  // Why a sign cannot hold a text, in the console's words (the server gives a code and its details).
  function unfitWords(sign) {
    if (sign.code === "word_too_wide") {
      return t(sign.unit === "characters" ? t("le mot « {word} » fait {width} caractères ; une ligne de ce panneau en tient {room}")
        : t("le mot « {word} » fait {width} pixels ; une ligne de ce panneau en tient {room}"),
        { word: sign.word, width: sign.width, room: sign.room });
    }
    if (sign.code === "too_many_pages") return t("il faudrait {needed} pages ; ce panneau en affiche au plus {most}", { needed: sign.needed, most: sign.most });
    if (sign.code === "not_sent") return t("ce type d'écran ne reçoit pas les diffusions");
    return t("le panneau refuse ce texte ({reason})", { reason: sign.reason });
  }
  // Each targeted sign as it would light a text (its picture), or why it cannot and what it keeps showing;
  // returns the signs that cannot.
  function showFaces(box, fit, signs, title) {
    const unfit = signs.filter(function (s) { return !s.fits; });
    box.replaceChildren.apply(box, signs.map(function (sign) {
      const figure = el("figure", undefined, sign.fits ? "fits" : "unfit");
      figure.dataset.sign = sign.panel;
      if (sign.fits) {
        const img = el("img"); img.src = sign.png; img.alt = sign.name + " : " + title; figure.appendChild(img);
      } else {
        figure.appendChild(el("p", t("Ne peut pas l'afficher : {why}. Il gardera ce qu'il affiche :", { why: unfitWords(sign) }), "error"));
        const img = el("img"); img.src = "/api/v1/panels/" + encodeURIComponent(sign.panel) + "/preview.png"; img.alt = t("{name} : contenu actuel", { name: sign.name });
        figure.appendChild(img);
      }
      figure.appendChild(el("figcaption", sign.name));
      return figure;
    }));
    fit.textContent = unfit.length === 0
      ? t("Le message tient sur les {n} panneau(x) visé(s).", { n: signs.length })
      : t("{unfit} panneau(x) sur {n} ne peuvent pas l'afficher et garderont leur contenu : {names}. Raccourcissez le texte, ou envoyez quand même.",
        { unfit: unfit.length, n: signs.length, names: unfit.map(function (s) { return s.name; }).join(", ") });
    fit.className = unfit.length ? "warning-box" : "";
    return unfit;
  }
  // ---- template editor --------------------------------------------------------------------------------------
  function editor() {
    const template = form.dataset.template;
    const status = $("editor-status");
    function rows(text) { return text.split("\n").filter(function (x) { return x.trim() !== ""; }); }
    function spec() {
      const variants = {};
      form.querySelectorAll("fieldset[data-lang]").forEach(function (fieldset) {
        const variant = { title: fieldset.querySelector(".title").value,
          lines: Array.from(fieldset.querySelectorAll(".line")).map(function (i) { return i.value; }) };
        fieldset.querySelectorAll("[data-channel]").forEach(function (node) {
          const input = node.tagName === "DIV" ? node.querySelector("textarea") : node;
          const channel = node.dataset.channel, field = node.dataset.field;
          if (!input.value.trim()) return;
          if (channel === "multi") { variant.multi = input.value.trim(); return; }
          variant[channel] = variant[channel] || {};
          variant[channel][field] = field === "lines" ? rows(input.value) : input.value;
        });
        const said = variant.title.trim() || variant.lines.some(function (x) { return x.trim(); });
        if (fieldset.dataset.required || said) variants[fieldset.dataset.lang] = variant;
      });
      return variants;
    }
    // ---- the composer: lines made of text and live values, for staff who do not write template code --------
    const VALUES = JSON.parse(form.dataset.values || "{}");
    const ROOM = Number(form.dataset.room || 0);
    // Values by what they are: a_free is "places libres (1er parking)".
    const NAMES = { name: t("nom"), free: t("places libres"), capacity: t("capacité"), index: t("indice"), label: t("libellé"),
      street: t("rue"), line: t("ligne"), place: t("lieu"), panel: t("panneau"), city: t("ville"), headline: t("titre"),
      event: t("événement"), next: t("prochaine collecte"), level: t("niveau"), title: t("titre") };
    const ORDINALS = { a: t("1er"), b: t("2e"), c: t("3e"), d: t("4e") };
    function valueName(key) {
      const m = /^([a-d])_(\w+)$/.exec(key);
      const base = m ? m[2] : key;
      return (NAMES[base] || base.replace(/_/g, " ")) + (m ? " (" + ORDINALS[m[1]] + ")" : "");
    }
    // A line's template text as pieces, or null when it uses more than the composer writes (then: "Avancé").
    const PIECE = /\{\{\s*(\w+)(?:\s+or\s+''\s*)?\s*\}\}|\{%\s*if\s+(\w+)\s+is\s+none\s*%\}([^{]*)\{%\s*elif\s+\2\s*>\s*0\s*%\}\{\{\s*\2\s*\|\s*number\s*\}\}([^{]*)\{%\s*else\s*%\}([^{]*)\{%\s*endif\s*%\}/g;
    function parse(text) {
      const pieces = [];
      let at = 0, m;
      PIECE.lastIndex = 0;
      while ((m = PIECE.exec(text)) !== null) {
        if (m.index > at) pieces.push({ kind: "text", text: text.slice(at, m.index) });
        pieces.push(m[1] ? { kind: "value", key: m[1] }
          : { kind: "count", key: m[2], unavailable: m[3], unit: m[4], full: m[5] });
        at = PIECE.lastIndex;
      }
      if (at < text.length) pieces.push({ kind: "text", text: text.slice(at) });
      return pieces.some(function (p) { return p.kind === "text" && /[{}]|%\}/.test(p.text); }) ? null : pieces;
    }
    function write(pieces) {
      return pieces.map(function (p) {
        if (p.kind === "text") return p.text;
        if (p.kind === "value") return "{{ " + p.key + " }}";
        return "{% if " + p.key + " is none %}" + p.unavailable + "{% elif " + p.key + " > 0 %}{{ " + p.key
          + " | number }}" + p.unit + "{% else %}" + p.full + "{% endif %}";
      }).join("");
    }
    function example() { try { return JSON.parse($("params").value || "{}"); } catch (e) { return {}; } }
    function shown(pieces, values) {  // the line as the example values make it, for the meter
      return pieces.map(function (p) {
        if (p.kind === "text") return p.text;
        const v = values[p.key];
        if (p.kind === "value") return v === undefined || v === null ? "" : String(v);
        return v === null || v === undefined ? p.unavailable : v > 0 ? String(v) + p.unit : p.full;
      }).join("");
    }
    const FULL = { fr: "COMPLET", en: "FULL", nl: "VOLZET", de: "BESETZT" };
    function composeLine(input, label, language) {
      const row = el("div", undefined, "compose-line");
      row.dataset.for = input.id;
      let pieces = parse(input.value);
      function commit() {
        input.value = write(pieces);
        input.dispatchEvent(new Event("input", { bubbles: true }));
        meter();
      }
      function meter() {
        const out = row.querySelector(".meter");
        if (!out || !pieces) return;
        const length = shown(pieces, example()).length;
        out.textContent = ROOM ? t("{n} / {room} caractères", { n: length, room: ROOM }) : t("{n} caractères", { n: length });
        out.classList.toggle("over", ROOM > 0 && length > ROOM);
        out.title = ROOM && length > ROOM ? t("Trop long pour les panneaux texte : la ligne sera coupée ou abrégée") : "";
      }
      function draw() {
        row.replaceChildren(el("span", label, "compose-label"));
        if (pieces === null) {
          row.appendChild(el("span", t("Cette ligne utilise des fonctions avancées : modifiez-la sous « Avancé »."), "hint"));
          return;
        }
        pieces.forEach(function (piece, i) {
          const chip = el("span", undefined, "piece piece-" + piece.kind);
          if (piece.kind === "text") {
            const text = el("input"); text.value = piece.text; text.size = Math.max(4, piece.text.length + 1);
            text.setAttribute("aria-label", t("{label} : texte", { label: label }));
            text.addEventListener("input", function () { piece.text = text.value; text.size = Math.max(4, text.value.length + 1); commit(); });
            chip.appendChild(text);
          } else {
            const select = el("select");
            select.setAttribute("aria-label", t("{label} : valeur", { label: label }));
            Object.keys(VALUES).forEach(function (key) {
              const o = el("option", valueName(key)); o.value = key; o.selected = key === piece.key; select.appendChild(o);
            });
            select.addEventListener("change", function () { piece.key = select.value; commit(); });
            chip.appendChild(select);
            if (piece.kind === "count") {
              [["unit", t("après le nombre")], ["unavailable", t("si indisponible")], ["full", t("si 0")]].forEach(function (f) {
                const field = el("label", f[1] + " ", "choice-small");
                const box = el("input"); box.value = piece[f[0]]; box.size = 8; box.dataset.field = f[0];
                box.setAttribute("aria-label", t("{name} : {value}", { name: label, value: f[1] }));
                box.addEventListener("input", function () { piece[f[0]] = box.value; commit(); });
                field.appendChild(box); chip.appendChild(field);
              });
            }
          }
          const remove = el("button", "×", "remove"); remove.type = "button";
          remove.setAttribute("aria-label", t("{label} : retirer ce morceau", { label: label }));
          remove.addEventListener("click", function () { pieces.splice(i, 1); commit(); draw(); });
          chip.appendChild(remove);
          row.appendChild(chip);
        });
        const addText = el("button", t("+ texte"), "add-text"); addText.type = "button";
        addText.setAttribute("aria-label", t("{label} : ajouter du texte", { label: label }));
        addText.addEventListener("click", function () { pieces.push({ kind: "text", text: " " }); commit(); draw(); });
        const addValue = el("button", t("+ valeur en direct"), "add-value"); addValue.type = "button";
        addValue.setAttribute("aria-label", t("{label} : ajouter une valeur en direct", { label: label }));
        addValue.disabled = !Object.keys(VALUES).length;
        addValue.addEventListener("click", function () {
          const key = Object.keys(VALUES).find(function (k) { return VALUES[k] === "count"; }) || Object.keys(VALUES)[0];
          pieces.push(VALUES[key] === "count"
            ? { kind: "count", key: key, unit: language === "fr" ? " pl" : " free", unavailable: "--", full: FULL[language] || "FULL" }
            : { kind: "value", key: key });
          commit(); draw();
        });
        row.appendChild(addText); row.appendChild(addValue);
        row.appendChild(el("span", undefined, "meter"));
        meter();
      }
      // Edited by hand under "Avancé": the composer follows.
      input.addEventListener("input", function (event) {
        if (event.isTrusted) { pieces = parse(input.value); draw(); }
      });
      draw();
      return row;
    }
    // The pictogram chosen by what it shows; its name (or expression) stays editable under "Avancé".
    $("pictogram-choice").addEventListener("change", function () {
      $("pictogram").value = $("pictogram-choice").value;
      $("pictogram").dispatchEvent(new Event("input", { bubbles: true }));
    });
    form.querySelectorAll("fieldset[data-lang]").forEach(function (fieldset) {
      const box = fieldset.querySelector(".composer");
      const language = fieldset.dataset.lang;
      box.appendChild(composeLine(fieldset.querySelector(".title"), t("Titre"), language));
      fieldset.querySelectorAll(".line").forEach(function (input, i) {
        box.appendChild(composeLine(input, t("Ligne {n}", { n: i + 1 }), language));
      });
    });
    let timer = null;
    async function preview() {
      let params = {};
      try { params = JSON.parse($("params").value || "{}"); } catch (e) {
        $("preview-error").textContent = t("Valeurs d'exemple : JSON invalide ({why})", { why: e.message });
        return;  // the last good preview stays while the JSON is being typed
      }
      const response = await api("POST", "/api/v1/admin/preview",
        { template: Object.assign({ pictogram: $("pictogram").value }, spec()), params: params,
          language: $("preview-language").value });
      const answer = await response.json();
      $("preview-error").textContent = response.ok ? "" : answer.error.message;
      if (!response.ok) return;  // the last good preview stays while the template is being fixed
      const box = $("previews");
      const figures = Object.keys(answer.signs).sort().map(function (name) {
        const sign = answer.signs[name];
        const figure = el("figure");
        figure.dataset.sign = name;
        if (sign.fits) {
          const img = el("img"); img.src = sign.png; img.alt = sign.multi; figure.appendChild(img);
        }
        if (!sign.fits) figure.appendChild(el("p", t("Ne tient pas sur ce panneau : {why}.", { why: unfitWords(sign) }), "error"));
        else if (sign.warning) figure.appendChild(el("p", sign.warning, "error"));
        figure.appendChild(el("figcaption", name + " (" + sign.channel + ")"));
        return figure;
      });
      box.replaceChildren.apply(box, figures);  // only once the new preview is here: no empty flash
      const kiosk = $("kiosk-preview");
      kiosk.querySelector(".kiosk-title").textContent = answer.kiosk.title;
      kiosk.querySelector("ul").replaceChildren.apply(kiosk.querySelector("ul"),
        answer.kiosk.lines.map(function (line) { return el("li", line); }));
      const phone = $("phone-preview");
      // The phone speaks the previewed language, as a citizen's phone would.
      const NOW = { fr: "maintenant", en: "now", nl: "nu", de: "jetzt" };
      phone.querySelector(".app").textContent = answer.phone.city + " · " + (NOW[$("preview-language").value] || "now");
      phone.querySelector(".n-title").textContent = answer.phone.title;
      phone.querySelector(".n-body").textContent = answer.phone.body;
      $("push-preview").textContent = answer.push;
      $("cap-preview").textContent = answer.cap;
    }
    function later() { clearTimeout(timer); timer = setTimeout(preview, 150); }
    form.addEventListener("input", later);
    $("preview-language").addEventListener("change", later);
    $("save").addEventListener("click", async function () {
      const draft = await api("POST", "/api/v1/admin/templates/" + template + "/versions", { variants: spec(),
        pictogram: $("pictogram").value });
      if (!draft.ok) { status.textContent = await problem(draft); return; }
      const version = await draft.json();
      const submitted = await api("POST", "/api/v1/admin/templates/" + template + "/versions/" + version.number + "/submit");
      status.textContent = submitted.ok ? t("Version {n} soumise pour relecture : un autre approbateur la publiera.", { n: version.number })
        : await problem(submitted);
    });
    function action(selector, verb, done) {
      document.querySelectorAll(selector).forEach(function (button) {
        button.addEventListener("click", async function () {
          const response = verb === "rollback"
            ? await api("POST", "/api/v1/admin/templates/" + template + "/rollback", { version: Number(button.dataset.number) })
            : await api("POST", "/api/v1/admin/templates/" + template + "/versions/" + button.dataset.number + "/" + verb);
          status.textContent = response.ok ? "Version " + button.dataset.number + " " + done + "." : await problem(response);
          if (response.ok) { button.disabled = true; refreshVersions(); }
        });
      });
    }
    // The versions as the server now has them (states, history, who may act), without reloading the form.
    async function refreshVersions() {
      const response = await fetch(location.pathname, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("versions");
      if (fresh) { $("versions").replaceWith(document.adoptNode(fresh)); bindActions(); }
    }
    function bindActions() {
      action("button.approve", "approve", t("publiée"));
      action("button.reject", "reject", t("refusée"));
      action("button.rollback", "rollback", t("republiée"));
    }
    bindActions();
    preview();
  }

  // ---- broadcast ----------------------------------------------------------------------------------------------
  const LANES = { alert: t("une alerte"), operator: t("une autre diffusion"), rule: t("une règle"), schedule: t("la programmation"), default: t("son message par défaut") };
  function stateWords(sign) {
    if (sign.state === "shown") return t("affiché");
    if (sign.state === "unfit") return t("garde {what} : {why}", { what: LANES[sign.keeps] || sign.keeps, why: unfitWords(sign) });
    if (sign.state === "pre-empted") return t("en attente : {what} est prioritaire", { what: LANES[sign.by] || sign.by });
    if (sign.state === "waiting") return t("en attente");
    return t("en cours d'envoi");
  }
  function broadcast() {
    const status = $("broadcast-status");
    const active = $("active");
    const boxes = {};
    const names = {};  // zone, tag and panel ids as staff read them
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
      names[box.value] = box.parentElement.dataset.name || box.parentElement.textContent.trim();
    });
    form.querySelectorAll("input[name=panels]").forEach(function (box) { boxes[box.value] = box; });
    // A pin chosen on the map is the panel chosen in the list, and the other way round.
    const pins = panelMap($("panel-map"), function (panel) {
      const box = boxes[panel.id];
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    });
    Object.keys(pins).forEach(function (id) {
      const box = boxes[id], pin = pins[id];
      function show() { pin.classList.toggle("chosen", box.checked); pin.setAttribute("aria-pressed", box.checked ? "true" : "false"); }
      box.addEventListener("change", show);
      show();
    });
    function when(text) { return text ? cityTime(text) : ""; }
    function body() {
      return { title: $("b-title").value,
        lines: [$("b-line1").value, $("b-line2").value, $("b-line3").value].filter(Boolean),
        targets: { zones: checked("zones"), tags: checked("tags"), panels: checked("panels"), topics: $("b-topics").value.split(",").map(function (topic) { return topic.trim(); }).filter(Boolean) },
        priority: Number($("b-priority").value || 60),
        severity: $("b-severity").value || undefined,
        // Typed on the city's clocks: sent without an offset, the server reads them in its time zone.
        starts_at: $("b-start").value || undefined, ends_at: $("b-end").value || undefined };
    }
    let unfit = [];
    let timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(preview, 200); }
    // Every targeted sign as it would light the text, or why it cannot (it then keeps what it shows).
    async function preview() {
      const box = $("b-previews");
      const fit = $("b-fit");
      const wanted = body();
      const aimed = wanted.targets;
      if (!wanted.title.trim() || !(aimed.zones.length || aimed.tags.length || aimed.panels.length)) {
        box.replaceChildren(); unfit = [];
        fit.textContent = t("Écrivez un titre et choisissez où diffuser : chaque panneau visé apparaîtra ici tel qu'il l'affichera.");
        return;
      }
      const response = await api("POST", "/api/v1/admin/broadcasts/preview", wanted);
      if (!response.ok) { fit.textContent = await problem(response); return; }
      unfit = showFaces(box, fit, (await response.json()).signs, wanted.title);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    async function refresh() {
      const response = await api("GET", "/api/v1/admin/broadcasts");
      if (!response.ok) return;
      const broadcasts = (await response.json()).broadcasts;
      const rows = broadcasts.map(function (b) {
        const row = el("tr");
        row.dataset.broadcast = b.id;
        const aimed = b.targets;
        const targets = [].concat(aimed.zones || [], aimed.tags || [], aimed.panels || [], aimed.topics || [])
          .map(function (id) { return names[id] || id; }).join(", ");
        [b.params.title, targets, (b.scheduled ? t("programmé :") + " " : "") + when(b.activated_at), when(b.expires_at), b.by]
          .forEach(function (text) { row.appendChild(el("td", text)); });
        const signs = el("td"); signs.className = "signs";
        const list = el("ul");
        (b.signs || []).forEach(function (sign) {
          const item = el("li", sign.name + " : " + stateWords(sign), sign.state === "unfit" ? "error" : "");
          item.dataset.sign = sign.panel; item.dataset.state = sign.state;
          list.appendChild(item);
        });
        signs.appendChild(list); row.appendChild(signs);
        const cell = el("td");
        const stop = el("button", b.scheduled ? t("Annuler") : t("Arrêter maintenant"), "stop"); stop.type = "button";
        stop.addEventListener("click", async function () {
          const stopped = await api("DELETE", "/api/v1/admin/broadcasts/" + encodeURIComponent(b.id));
          status.textContent = stopped.ok ? t("Arrêté partout.") : await problem(stopped);
          refresh();
        });
        cell.appendChild(stop); row.appendChild(cell);
        return row;
      });
      active.replaceChildren.apply(active, rows);
      // Signs still being told: look again shortly, so that each sign's outcome shows without a reload.
      if (broadcasts.some(function (b) { return (b.signs || []).some(function (s) { return s.state === "pending"; }) && !b.scheduled; })) {
        setTimeout(refresh, 700);
      }
    }
    $("send").addEventListener("click", async function () {
      const send = $("send");
      send.disabled = true;
      try {
        const response = await api("POST", "/api/v1/admin/broadcasts", body());
        if (!response.ok) { status.textContent = await problem(response); return; }
        const answer = await response.json();
        const later = new Date(answer.starts_at) > new Date();
        status.textContent = (later ? t("Programmé.") : t("Diffusé.")) + (unfit.length
          ? " " + t("{n} panneau(x) ne peuvent pas l'afficher et gardent leur contenu : {names}.", { n: unfit.length, names: unfit.map(function (s) { return s.name; }).join(", ") })
          : "");
        refresh();
      } finally { send.disabled = false; }
    });
    refresh();
    preview();
  }

  // ---- emergency ----------------------------------------------------------------------------------------------
  function emergency() {
    const status = $("emergency-status");
    const languages = $("emergency").dataset.languages.split(",");  // the city's, its own first
    function texts(field) {
      const out = {};
      languages.forEach(function (lang) { const v = $("e-" + field + "-" + lang).value.trim(); if (v) out[lang] = v; });
      return out;
    }
    function alert() {
      const hours = Number($("e-hours").value || 6);
      return { headline: texts("headline"), description: texts("description"), instruction: texts("instruction"),
        severity: $("e-severity").value, zones: checked("zones"),
        ends_at: new Date(Date.now() + hours * 3600 * 1000).toISOString() };
    }
    // Before anything is sent: every sign of the chosen zones as it will show the alert.
    let timer = null;
    async function preview() {
      const wanted = alert();
      if (!wanted.headline[languages[0]] || !wanted.zones.length) {
        $("e-previews").replaceChildren();
        $("e-fit").textContent = t("Écrivez le titre et choisissez les zones : chaque panneau visé apparaîtra ici tel qu'il affichera l'alerte.");
        return;
      }
      const response = await api("POST", "/api/v1/admin/emergency/preview", wanted);
      if (!response.ok) { $("e-fit").textContent = await problem(response); return; }
      showFaces($("e-previews"), $("e-fit"), (await response.json()).signs, wanted.headline[languages[0]]);
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 250); });
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(preview, 250); });
    preview();
    $("issue").addEventListener("click", async function () {
      if (!$("e-confirm").checked) { status.textContent = t("Cochez la confirmation avant d'émettre l'alerte."); return; }
      const response = await api("POST", "/api/v1/admin/emergency", alert());
      if (!response.ok) { status.textContent = await problem(response); return; }
      const answer = await response.json();
      status.textContent = t("Alerte émise.");
      const item = el("li", texts("headline")[languages[0]] + " — ");
      item.dataset.alert = answer.id;
      const link = el("a", t("document CAP")); link.href = answer.cap; item.appendChild(link);
      const cancel = el("button", t("Lever l'alerte"), "stop"); cancel.type = "button";
      cancel.addEventListener("click", async function () {
        const done = await api("DELETE", "/api/v1/admin/emergency/" + encodeURIComponent(answer.id));
        status.textContent = done.ok ? t("Alerte levée.") : await problem(done);
        if (done.ok) item.remove();
      });
      item.appendChild(document.createTextNode(" ")); item.appendChild(cancel);
      $("issued").appendChild(item);
      $("e-confirm").checked = false;
    });
  }

  // ---- accounts -----------------------------------------------------------------------------------------------
  function accounts() {
    $("save-account").addEventListener("click", async function () {
      const response = await api("POST", "/api/v1/admin/accounts", { username: $("a-username").value.trim(),
        role: $("a-role").value, password: $("a-password").value });
      $("a-password").value = "";
      $("account-status").textContent = response.ok ? t("Enregistré.") : await problem(response);
      if (response.ok) window.location.reload();
    });
  }

  ({ editor: editor, broadcast: broadcast, emergency: emergency, account: accounts })[form.id]();
})();
