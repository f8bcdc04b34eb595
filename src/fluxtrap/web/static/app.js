// fluxtrap dashboard: draw the page's Plotly figures and send its forms to the REST API.
"use strict";

// The session is an HttpOnly cookie (scripts cannot read it); the browser sends it with every
// same-origin fetch, and each write carries the page's CSRF token, which other sites cannot know.
const CSRF = document.querySelector("meta[name=csrf-token]")?.content || "";

// Show a message above the page's content and scroll it into view: a form far down a long page
// (below 500 samples) failed with its reason out of sight.
function say(text, isError, kind) {
  const box = document.getElementById("message");
  box.textContent = text;
  box.className = kind || (isError ? "error" : "ok");
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

// A notice a form leaves for the page it goes to (a message said before the page changes is
// lost): a warning unless a kind is stored with it.
const notice = sessionStorage.getItem("notice");
if (notice) {
  say(notice, false, sessionStorage.getItem("notice-kind") || "warn");
  sessionStorage.removeItem("notice");
  sessionStorage.removeItem("notice-kind");
}

// Call the API with the session cookie and the CSRF token; throw an Error carrying the server's
// explanation.
async function api(method, url, body) {
  const headers = { "X-CSRF-Token": CSRF };
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(url, { method, headers, body, credentials: "same-origin" });
  } catch (err) { // the browser's bare "Failed to fetch" said neither what nor why
    throw new Error(`no answer from the server to ${method} ${url} (${err.message}): is it running, is the network up? Try again`);
  }
  const data = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) {
    const detail = typeof data.detail === "string" ? data.detail
      : Array.isArray(data.detail) ? data.detail.map((d) => `${d.loc.slice(1).join(".")}: ${d.msg}`).join("; ")
      : r.statusText;
    throw new Error(`${r.status}: ${detail}`);
  }
  return data;
}

function drawFigures(root = document) {
  for (const el of root.querySelectorAll("script[type='application/json'][id$='-data']")) {
    const div = document.getElementById(el.id.slice(0, -5));
    if (!div) continue;
    const fig = JSON.parse(el.textContent);
    Plotly.newPlot(div, fig.data, fig.layout, { responsive: true, displaylogo: false });
  }
}

// Run an async form action with its button disabled; show the error if it fails. A slow one
// says that it runs (the form's data-busy) until it ends: a suggestion's fit took seconds to a
// minute with nothing shown but a greyed button.
function onSubmit(id, action) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const focused = document.activeElement === button; // disabling it drops the focus to <body>
    button.disabled = true;
    if (form.dataset.busy) say(form.dataset.busy, false, "busy");
    try {
      await action(form, new FormData(form));
    } catch (err) {
      say(err.message, true);
    } finally {
      button.disabled = false;
      if (focused) button.focus({ preventScroll: true }); // the message stays in view
    }
  });
}

const campaignUrl = (form) => "/api/campaigns/" + encodeURIComponent(form.dataset.campaign);

// A parameter is sent as a number (numeric), as its choice's text (categorical: the server maps
// it back to the choice, a number or a string) or not at all (fixed: the server fills it in).
onSubmit("sample-form", async (form, data) => {
  const params = {};
  for (const el of form.querySelectorAll("[name^='param:']")) {
    if (el.dataset.kind === "fixed") continue;
    params[el.name.slice(6)] = el.dataset.kind === "numeric" ? Number(el.value) : el.value;
  }
  const body = { label: data.get("label"), params, notes: data.get("notes") || "" };
  if (data.get("suggestion_id")) body.suggestion_id = Number(data.get("suggestion_id"));
  const added = await api("POST", campaignUrl(form) + "/samples", body);
  if (added.departures.length) {
    const where = added.departures.join("; ");
    sessionStorage.setItem("notice", `sample ${added.label} departs from suggestion ${added.suggestion_id}: ${where}`);
  } else {
    sessionStorage.setItem("notice", `recorded sample ${added.label}`);
    sessionStorage.setItem("notice-kind", "ok");
  }
  // the page the new sample is on (the last): a reload of the first of 600 samples did not show it
  location.href = form.dataset.then;
});

// Choosing an open suggestion fills in its parameter values (they can still be edited).
const fromSuggestion = document.querySelector("#sample-form [name=suggestion_id]");
fromSuggestion?.addEventListener("change", () => {
  const params = JSON.parse(fromSuggestion.selectedOptions[0].dataset.params || "{}");
  for (const [name, value] of Object.entries(params)) {
    const el = fromSuggestion.form.elements["param:" + name];
    if (el && el.dataset.kind !== "fixed") el.value = String(value);
  }
});

// an M(T) curve needs no edges: the loop's fields are hidden, disabled and not sent
const uploadKind = document.querySelector("#upload-form select[name=kind]");
uploadKind?.addEventListener("change", () => {
  const fields = uploadKind.form.querySelector("fieldset.loop-only");
  fields.disabled = fields.hidden = uploadKind.value !== "mh_loop";
});

// a bar is given by its edges a, b, c, a cylinder by its diameter and thickness: the other
// shape's fields are hidden, disabled and not sent (the API refuses them)
const uploadShape = document.querySelector("#upload-form select[name=shape]");
uploadShape?.addEventListener("change", () => {
  for (const fields of uploadShape.form.querySelectorAll("fieldset[class^=shape-]")) {
    fields.disabled = fields.hidden = fields.className !== "shape-" + uploadShape.value;
  }
});

// The upload form's sample picker offers any sample of the campaign, not only this page's: as
// the user types, the labels containing the text (the newest 20) come from the API.
const uploadLabel = document.querySelector("#upload-form [name=label]");
if (uploadLabel) {
  const choices = document.getElementById(uploadLabel.getAttribute("list"));
  let asked = 0; // answers to older keystrokes that arrive late are dropped
  let timer;
  uploadLabel.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const query = new URLSearchParams({ containing: uploadLabel.value, limit: "20" });
      try {
        const labels = await api("GET", `${campaignUrl(uploadLabel.form)}/labels?${query}`);
        if (mine !== asked) return;
        choices.replaceChildren(...labels.map((label) => Object.assign(document.createElement("option"), { value: label })));
      } catch (err) {
        say(err.message, true);
      }
    }, 200);
  });
}

onSubmit("upload-form", async (form, data) => {
  const label = data.get("label");
  data.delete("label");
  const up = await api("POST", `${campaignUrl(form)}/samples/${encodeURIComponent(label)}/measurements`, data);
  // each value ± its 1-sigma in the unit the tables show (data-objectives: name -> [unit, the
  // stored unit's worth in it]): it said "jc_3T = 2.098e+8 (SI)" beside tables in A/cm²
  const units = JSON.parse(form.dataset.objectives);
  const number = (x, digits) => x.toLocaleString("en-US", { maximumSignificantDigits: digits });
  const shown = Object.entries(up.objectives).map(([k, v]) => {
    const [unit, scale] = units[k];
    const err = up.objective_errors[k];
    return `${k} = ${number(v * scale, 4)}${err ? " ± " + number(err * scale, 2) : ""}${unit ? " " + unit : ""}`;
  }).join(", ");
  const t = data.get("kind") === "mh_loop" ? up.measurement.temperature_K : null;
  const at = t === null ? "" : ` (the loop at ${t.toPrecision(4)} K)`;
  const fake = up.measurement.synthetic ? " (SYNTHETIC: its header says it was generated, not measured)" : "";
  const stored = `stored ${up.measurement.filename}${fake} for ${label}${at}${shown ? ": " + shown : ""}`;
  // said on the page it goes to (said on this one, it went with it), with what the analysis
  // warned about (as text: file names are users')
  const notes = [...up.warnings.map((w) => "warning: " + w), ...Object.entries(up.not_set).map(([k, why]) => `${k} not set: ${why}`)];
  sessionStorage.setItem("notice", [stored, ...notes].join("; "));
  if (!notes.length && !fake) sessionStorage.setItem("notice-kind", "ok");
  const campaign = `/campaigns/${encodeURIComponent(form.dataset.campaign)}`;
  location.href = data.get("kind") === "mt_curve" ? campaign : `${campaign}/jc?sample=${encodeURIComponent(label)}`;
});

// A campaign file's text: created as `fluxtrap campaign create` does, its notes (suggest will
// refuse it, a high off its step grid: the highest settable value) said on its page.
onSubmit("campaign-form", async (form, data) => {
  const made = await api("POST", "/api/campaign-files", { toml: data.get("toml") });
  const notes = made.notes.map((n) => "note: " + n);
  sessionStorage.setItem("notice", [`created campaign ${made.name}`, ...notes].join("; "));
  if (!notes.length) sessionStorage.setItem("notice-kind", "ok");
  location.href = "/campaigns/" + encodeURIComponent(made.name);
});

onSubmit("suggest-form", async (form, data) => {
  const body = { n: Number(data.get("n")) };
  if (data.get("seed")) body.seed = Number(data.get("seed"));
  const asked = await api("POST", campaignUrl(form) + "/suggestions", body);
  // what the model's data warned of (a value 1e6 x the others: a wrong unit?), said after the
  // reload: it had gone to the server's log only
  const notes = [...new Set(asked.flatMap((s) => s.notes))];
  if (notes.length) sessionStorage.setItem("notice", notes.map((n) => "warning: " + n).join("; "));
  location.reload();
});

onSubmit("simulation-form", async (form, data) => {
  const job = await api("POST", "/api/simulations", { case: data.get("case") });
  location.href = "/jobs/" + job.id; // reloads until done, then redirects to the stored simulation
});

// A suggestion's or a sample's status buttons. Each sends the status its page showed (if_status):
// another user's change since is a 409 saying the status it has now (and who set it, when
// stored), shown in place of a silent overwrite; the page is not reloaded, so the message stays.
document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button[data-suggestion], button[data-sample]");
  if (!b) return;
  const body = { status: b.dataset.status, if_status: b.dataset.from };
  if (b.dataset.askNote) {
    const note = window.prompt(b.dataset.askNote, "");
    if (note === null) return;
    if (note.trim()) body.note = note.trim();
  }
  const url = b.dataset.suggestion !== undefined
    ? "/api/suggestions/" + b.dataset.suggestion
    : `/api/campaigns/${encodeURIComponent(b.closest("table").dataset.campaign)}/samples/${encodeURIComponent(b.dataset.sample)}`;
  try {
    await api("PATCH", url, body);
    location.reload();
  } catch (err) {
    say(err.message, true);
    if (err.message.startsWith("409:")) b.disabled = true; // stale: the page no longer says its status
  }
});

// Jc(B): the checkboxes show or hide each sample's traces (one legend group per sample), and
// the log y axis spans the shown samples' valid Jc (x/2 to x2; layout.meta.valid_jc, A/cm²).
const select = document.getElementById("jc-select");
if (select) {
  const sync = () => {
    const shown = new Set([...select.querySelectorAll("input:checked")].map((c) => c.value));
    const plot = document.getElementById("jc");
    Plotly.restyle(plot, { visible: plot.data.map((t) => shown.has(t.legendgroup)) });
    const extents = ((plot.layout.meta || {}).valid_jc || {});
    const kept = [...shown].map((s) => extents[s]).filter(Boolean);
    if (kept.length) {
      const low = Math.min(...kept.map((e) => e[0])), high = Math.max(...kept.map((e) => e[1]));
      Plotly.relayout(plot, { "yaxis.range": [Math.log10(low / 2), Math.log10(high * 2)] });
    }
  };
  select.addEventListener("change", sync);
  window.addEventListener("load", sync);
}

onSubmit("cancel-job-form", async (form) => {
  await api("DELETE", "/api/jobs/" + form.dataset.job);
  location.reload();
});

// A queued or running job's page reloads until the job has finished.
const pending = document.querySelector("[data-poll]");
if (pending) setTimeout(() => location.reload(), 2000);

drawFigures();

// The model page is shown at once, saying that the model is being fitted (a fit of 600 samples
// took 12 s with nothing shown but the browser's spinner); its plots and notes come when fitted,
// or what went wrong. A note of the newest ask that the model's own notes repeat is said once.
const modelPlots = document.getElementById("model-plots");
if (modelPlots) showModel(modelPlots);

async function showModel(box) {
  const failed = (why) => {
    const p = Object.assign(document.createElement("p"), { className: "error", textContent: `the model could not be drawn: ${why}` });
    box.replaceChildren(p);
    box.removeAttribute("aria-busy");
  };
  let r, text;
  try {
    r = await fetch(box.dataset.src, { credentials: "same-origin", redirect: "manual" });
    text = await r.text();
  } catch (err) {
    return failed(`no answer from the server (${err.message}): is it running, is the network up? Reload to try again`);
  }
  if (r.type === "opaqueredirect") return failed("the session has ended: reload the page to log in");
  if (!r.ok) { // the error page's words, as for the API's errors
    const said = new DOMParser().parseFromString(text, "text/html").querySelector("p.error");
    return failed(`${r.status}: ${said ? said.textContent : r.statusText}`);
  }
  box.innerHTML = text;
  box.removeAttribute("aria-busy");
  drawFigures(box);
  const said = new Set([...box.querySelectorAll(".data-note")].map((p) => p.textContent));
  for (const p of document.querySelectorAll("p.model-note")) if (said.has(p.dataset.note)) p.remove();
}

// probes.csv and heat.csv through the API (fetched, so that an API error is shown on the page).
for (const name of ["probes", "heat"]) {
  document.getElementById(`${name}-csv`)?.addEventListener("click", async (ev) => {
    try {
      const text = await api("GET", `/api/simulations/${ev.target.dataset.simulation}/${name}?format=csv`);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      a.download = `${name}.csv`;
      a.click();
    } catch (err) {
      say(err.message, true);
    }
  });
}

// A simulation's page draws its last J/B map; another time's is fetched when picked.
document.getElementById("map-time")?.addEventListener("change", async (ev) => {
  const pick = ev.target;
  try {
    const fig = await api("GET", `/api/simulations/${pick.dataset.simulation}/maps/${pick.value}`);
    Plotly.react(document.getElementById(pick.dataset.plot), fig.data, fig.layout);
  } catch (err) {
    say(err.message, true);
  }
});

// Users (admins): a new user's token is shown once, here, never stored by the page; a role
// change and a revocation go to the API, the page reloads with what happened.
onSubmit("user-form", async (form, data) => {
  const body = { name: data.get("name"), role: data.get("role") };
  if (data.get("expires").trim()) body.expires = data.get("expires").trim();
  const added = await api("POST", "/api/users", body);
  form.reset();
  document.getElementById("new-token-user").textContent = `${added.user.name} (${added.user.role})`;
  document.getElementById("new-token-value").value = added.token;
  document.getElementById("new-token").hidden = false;
  say(`added user ${added.user.name} (${added.user.role}): copy the token below now`, false);
});

document.getElementById("copy-token")?.addEventListener("click", async () => {
  const box = document.getElementById("new-token-value");
  box.select();
  try { // the Clipboard API exists on https and localhost only
    await navigator.clipboard.writeText(box.value);
  } catch {
    if (!document.execCommand("copy")) return say("the browser refused to copy: select the token and copy it", true);
  }
  say("the token is copied", false);
});

const userUrl = (name) => "/api/users/" + encodeURIComponent(name);

document.addEventListener("submit", async (ev) => {
  const form = ev.target.closest("form.role-form");
  if (!form) return;
  ev.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const changed = await api("PUT", userUrl(form.dataset.user) + "/role", { role: form.elements.role.value });
    sessionStorage.setItem("notice", `${changed.name} is now a ${changed.role}`);
    sessionStorage.setItem("notice-kind", "ok");
    location.reload();
  } catch (err) {
    say(err.message, true);
    button.disabled = false;
  }
});

document.addEventListener("click", async (ev) => {
  const b = ev.target.closest("button[data-revoke]");
  if (!b) return;
  const name = b.dataset.revoke, n = Number(b.dataset.jobs);
  const jobs = n ? `${n} queued or running job(s) of theirs are cancelled` : "they have no queued or running jobs";
  const self = b.dataset.self ? " You are logging yourself out." : "";
  if (!window.confirm(`Revoke ${name}? Their token stops working at once, their logins end and ${jobs}.${self}`)) return;
  b.disabled = true;
  try {
    const done = await api("POST", userUrl(name) + "/revoke");
    sessionStorage.setItem("notice", `revoked ${done.user.name}: ${done.jobs_cancelled} queued or running job(s) cancelled`);
    sessionStorage.setItem("notice-kind", "ok");
    location.reload();
  } catch (err) {
    say(err.message, true);
    b.disabled = false;
  }
});
