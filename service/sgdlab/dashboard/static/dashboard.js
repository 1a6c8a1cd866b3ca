// sgdlab dashboard pages: jobs list + new-simulation form, one job's page, the Markov-chain page.
"use strict";

const PLOT_BLOCKS = {histogram: "histograms", basins: "basins", survival: "exit_times", loss_trace: "loss_trace",
                     trajectories: "trajectories", arrival: "arrival"};
const $ = (sel, root) => (root || document).querySelector(sel);
const el = (tag, props, ...children) => {
  const node = Object.assign(document.createElement(tag), props || {});
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
const num = (v, digits) => (v === null || v === undefined || !Number.isFinite(+v) ? "–" : (+v).toPrecision(digits || 4));
const jobUrl = (id) => "/v1/jobs/" + encodeURIComponent(id);

// ---- API key box -------------------------------------------------------------------------------------------
function setupKeyBox() {
  const form = $("#api-key-form"), input = $("#api-key"), state = $("#api-key-state");
  const show = () => { form.hidden = false; state.textContent = SgdlabApi.key() ? "key saved" : "no key"; };
  if (document.body.dataset.auth === "required" || SgdlabApi.key()) show();
  SgdlabApi.onUnauthorized = () => { show(); state.textContent = "this service needs a valid API key"; };
  form.addEventListener("submit", (e) => { e.preventDefault(); SgdlabApi.setKey(input.value.trim()); input.value = ""; location.reload(); });
  $("#api-key-forget").addEventListener("click", () => { SgdlabApi.setKey(""); location.reload(); });
}

// ---- jobs page ---------------------------------------------------------------------------------------------
let catalog = [];

function paramValue(text) {
  const t = text.trim();
  if (t === "" || t === "null") return undefined;  // a null default means "let the service choose"
  try { return JSON.parse(t); } catch (e) { return t; }
}

function numberOrText(text) {
  const t = String(text).trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
}

function renderParams() {
  const entry = catalog.find((l) => l.name === $("#landscape").value);
  const box = $("#landscape-params");
  box.replaceChildren(el("legend", {textContent: "Parameters"}));
  $("#landscape-formula").textContent = entry ? `${entry.formula}  (${entry.dim}-D)` : "";
  for (const p of (entry && entry.params) || []) {
    const input = el("input", {type: "text", name: "param." + p.name, value: p.default === null ? "" : JSON.stringify(p.default), title: p.description || ""});
    const error = el("small", {className: "field-error"});
    error.dataset.errorFor = "landscape.params." + p.name;
    box.append(el("label", {}, `${p.name} `, input, el("small", {className: "hint", textContent: p.description || ""}), error));
  }
}

async function loadCatalog() {
  const select = $("#landscape");
  try {
    const {data} = await SgdlabApi.get("/v1/landscapes");
    catalog = data.landscapes || [];
  } catch (e) { catalog = []; }
  select.replaceChildren(...catalog.map((l) => el("option", {value: l.name, textContent: `${l.name} (${l.dim}-D)`})));
  const preferred = catalog.find((l) => l.name === "double_well");
  if (preferred) select.value = preferred.name;
  renderParams();
}

function jobRequestFromForm(form) {
  const f = new FormData(form);
  const params = {};
  for (const [k, v] of f.entries()) {
    if (k.startsWith("param.")) { const val = paramValue(v); if (val !== undefined) params[k.slice(6)] = val; }
  }
  const observe = {};
  if (f.get("observe.exit_times")) observe.exit_times = {from: 0, to: 1};
  if (f.get("observe.loss_trace")) observe.loss_trace = {every: 10};
  if (f.get("observe.trajectories")) observe.trajectories = {count: 8, every: 5};
  if (f.get("observe.arrival")) observe.arrival = {bins: 40};
  return {
    kind: "simulation",
    landscape: {builtin: f.get("landscape.builtin"), params},
    dynamics: {method: "langevin", lr: numberOrText(f.get("dynamics.lr")), batch_size: numberOrText(f.get("dynamics.batch_size"))},
    particles: numberOrText(f.get("particles")),
    steps: numberOrText(f.get("steps")),
    seed: numberOrText(f.get("seed")),
    observe,
  };
}

function statusBadge(status) { return el("span", {className: "status " + status, textContent: status}); }

function progressBar(p) {
  const bar = el("div", {className: "bar"});
  bar.style.width = Math.round(100 * (p || 0)) + "%";
  return el("div", {className: "progress"}, bar);
}

const watching = new Map();

function jobRow(job) {
  const row = el("tr", {id: "job-" + job.id},
    el("td", {}, el("a", {href: "/dashboard/jobs/" + encodeURIComponent(job.id), textContent: job.id})),
    el("td", {textContent: job.kind || "simulation"}),
    el("td", {className: "status-cell"}, statusBadge(job.status)),
    el("td", {className: "progress-cell"}, progressBar(job.progress)),
    el("td", {textContent: (job.created_at || "").replace("T", " ").slice(0, 19)}));
  if (!isFinished(job.status) && !watching.has(job.id)) {
    watching.set(job.id, SgdlabApi.watchJob(job.id,
      (ev) => updateRow(job.id, ev.status || "running", ev.progress),
      (doc) => { watching.delete(job.id); updateRow(job.id, doc.status, doc.progress); }));
  }
  return row;
}

function updateRow(id, status, progress) {
  const row = document.getElementById("job-" + id);
  if (!row) return;
  $(".status-cell", row).replaceChildren(statusBadge(status));
  if (progress !== undefined && progress !== null) $(".progress-cell .bar", row).style.width = Math.round(100 * progress) + "%";
}

let nextCursor = null;

async function loadJobs(append) {
  const body = $("#jobs-table tbody");
  let path = "/v1/jobs?limit=25";
  if (append && nextCursor) path += "&cursor=" + encodeURIComponent(nextCursor);
  try {
    const {data} = await SgdlabApi.get(path);
    const rows = (data.items || []).map(jobRow);
    append ? body.append(...rows) : body.replaceChildren(...rows);
    nextCursor = data.next_cursor || null;
  } catch (e) { if (!append) body.replaceChildren(); }
  $("#jobs-empty").hidden = body.children.length > 0;
  $("#more-jobs").hidden = !nextCursor;
}

function setupJobsPage() {
  const form = $("#job-form");
  $("#landscape").addEventListener("change", renderParams);
  $("#refresh-jobs").addEventListener("click", () => loadJobs(false));
  $("#more-jobs").addEventListener("click", () => loadJobs(true));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(form);
    $("#form-state").textContent = "submitting…";
    try {
      const {data} = await SgdlabApi.post("/v1/jobs", jobRequestFromForm(form));
      $("#form-state").textContent = "queued " + data.id;
      location.href = "/dashboard/jobs/" + encodeURIComponent(data.id);
    } catch (err) {
      $("#form-state").textContent = "";
      showProblem(form, err);
    }
  });
  loadCatalog();
  loadJobs(false);
}

// ---- job page ----------------------------------------------------------------------------------------------
function showStatus(doc) {
  $("#job-status").replaceChildren(statusBadge(doc.status));
  $("#job-progress").style.width = Math.round(100 * (doc.progress || 0)) + "%";
  const times = [["created", doc.created_at], ["started", doc.started_at], ["finished", doc.finished_at]]
    .filter(([, t]) => t).map(([k, t]) => `${k} ${String(t).replace("T", " ").slice(0, 19)}`);
  $("#job-times").textContent = times.join(" · ");
  $("#cancel-job").hidden = isFinished(doc.status);
  if (doc.error) {
    const box = $("#job-error");
    box.hidden = false;
    box.textContent = (doc.error.title || "error") + (doc.error.detail ? ": " + doc.error.detail : "");
  }
}

function addNumber(dl, term, value) {
  dl.append(el("dt", {textContent: term}), el("dd", {textContent: value}));
}

function showNumbers(result) {
  const dl = $("#key-numbers");
  dl.replaceChildren();
  const g = result.gibbs || {}, x = result.exit_times, perf = result.performance || {};
  addNumber(dl, "temperature T = lr/(2B)", num(result.temperature));
  addNumber(dl, "β theory", num(result.beta));
  if (result.gibbs) {
    addNumber(dl, "β fitted", `${num(g.beta_fit)} ± ${num(g.beta_fit_stderr, 2)}`);
    addNumber(dl, "KL(histogram ‖ Gibbs)", num(g.kl_divergence, 3));
    addNumber(dl, "total variation", num(g.total_variation, 3));
    addNumber(dl, "χ² p-value", num(g.chi2_pvalue, 3));
  }
  if (x) {
    addNumber(dl, `exit ${x.from} → ${x.to}: escaped`, `${x.escaped} of ${x.particles}`);
    addNumber(dl, "mean exit time (steps)", `${num(x.mean_steps)} [${num((x.ci95 || [])[0])}, ${num((x.ci95 || [])[1])}]`);
    addNumber(dl, "Kramers / exact (steps)", `${num(x.kramers_steps)} / ${num(x.exact_steps)}`);
  }
  if (perf.particle_steps_per_second) addNumber(dl, "particle-steps / s", num(perf.particle_steps_per_second, 3));
  if (perf.seconds !== undefined) addNumber(dl, "compute seconds", num(perf.seconds, 3));
  const final = (result.basins || {}).final || [];
  const minima = (result.landscape || {}).minima || [];
  const theory = g.basin_fractions_theory || [];
  $("#basin-table").hidden = !final.length;
  $("#basin-table tbody").replaceChildren(...final.map((b) => el("tr", {},
    el("td", {textContent: b.basin}),
    el("td", {textContent: ((minima[b.basin] || {}).location || []).map((v) => num(v, 3)).join(", ")}),
    el("td", {textContent: `${num(b.fraction)} ± ${num(b.stderr, 2)}`}),
    el("td", {textContent: num(theory[b.basin])}))));
  $("#numbers-card").hidden = false;
}

// ---- validity warnings (issue 9): each warning listed, and repeated next to the numbers it qualifies --------
const WARNING_QUALIFIES = {
  diverged: ["exit ", "mean exit time"], unstable_lr: ["temperature", "Kramers"], large_lr: ["Kramers", "β theory"],
  schedule: ["temperature"], low_barrier: ["Kramers"],
  state_dependent_noise: ["temperature", "β theory", "KL(histogram"],
  not_mixed: ["β fitted", "KL(histogram"], no_minimum: ["temperature"],
};

function showValidity(result) {
  const warnings = ((result.validity || {}).warnings) || [];
  const list = $("#validity-warnings");
  const tagged = (node, code) => { node.dataset.code = code; return node; };
  list.replaceChildren(...warnings.map((w) => tagged(el("li", {className: "validity-warning",
    textContent: `${w.code}: ${w.message}`}), w.code)));
  list.hidden = !warnings.length;
  const terms = [...$("#key-numbers").querySelectorAll("dt")];
  for (const w of warnings) {
    for (const prefix of WARNING_QUALIFIES[w.code] || []) {
      const dt = terms.find((t) => t.textContent.startsWith(prefix));
      if (dt && dt.nextElementSibling) {
        dt.nextElementSibling.append(" ", tagged(el("span", {className: "errors validity-note",
          textContent: "⚠ " + w.code + (w.value !== null && w.value !== undefined ? " (" + num(w.value, 3) + ")" : "")}),
          w.code));
      }
    }
  }
}
// ---- end validity warnings ---------------------------------------------------------------------------------

function showPlots(id, result) {
  const box = $("#plots");
  const names = Object.keys(PLOT_BLOCKS).filter((n) => result[PLOT_BLOCKS[n]]);
  box.replaceChildren(...names.map((name) => {
    const img = el("img", {alt: name + " plot", className: "plot", id: "plot-" + name});
    const url = jobUrl(id) + "/plots/" + name + ".svg";
    SgdlabApi.loadImage(img, url).catch(() => { img.alt = name + ": not available"; });
    return el("figure", {}, img, el("figcaption", {},
      name + " · ", el("a", {href: url, textContent: "svg"}), " · ",
      el("a", {href: jobUrl(id) + "/plots/" + name + ".png", textContent: "png"})));
  }));
  $("#table-links").replaceChildren("Tables: ", ...names.flatMap((name) => [
    el("a", {href: jobUrl(id) + "/tables/" + name + "?format=csv", textContent: name + ".csv"}), " "]));
  $("#plots-card").hidden = false;
}

async function showResult(id) {
  try {
    const {data} = await SgdlabApi.get(jobUrl(id) + "/result");
    showNumbers(data);
    showValidity(data);
    showPlots(id, data);
    const link = $("#result-link");
    link.href = jobUrl(id) + "/result";
    link.hidden = false;
  } catch (err) {
    const box = $("#job-error");
    box.hidden = false;
    box.textContent = "result not available: " + ((err.problem && (err.problem.detail || err.problem.title)) || err.status);
  }
}

async function setupJobPage() {
  const id = document.body.dataset.jobId;
  $("#cancel-job").addEventListener("click", async () => {
    try { await SgdlabApi.request("DELETE", jobUrl(id)); } catch (e) { /* already finished */ }
  });
  let doc;
  try { doc = (await SgdlabApi.get(jobUrl(id))).data; } catch (err) {
    showStatus({status: "unknown", progress: 0, error: err.problem || {title: "not found"}});
    return;
  }
  showStatus(doc);
  const finish = (final) => { showStatus(final); if (final.status === "succeeded") showResult(id); };
  if (isFinished(doc.status)) finish(doc);
  else SgdlabApi.watchJob(id, (ev) => showStatus(Object.assign(doc, {status: ev.status || "running", progress: ev.progress})), finish);
}

// ---- Markov-chain page -------------------------------------------------------------------------------------
function parseJsonField(form, name, optional) {
  const text = new FormData(form).get(name).trim();
  if (optional && text === "") return undefined;
  try { return JSON.parse(text); } catch (e) {
    throw {status: 422, problem: {title: "Invalid input", errors: [{field: name, message: "not valid JSON: " + e.message}]}};
  }
}

function setupMarkovPage() {
  const form = $("#markov-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(form);
    try {
      const body = {transition_matrix: parseJsonField(form, "transition_matrix"), steps: numberOrText(new FormData(form).get("steps"))};
      const initial = parseJsonField(form, "initial", true);
      if (initial !== undefined) body.initial = initial;
      const states = new FormData(form).get("states").split(",").map((s) => s.trim()).filter(Boolean);
      if (states.length) body.states = states;
      const {data} = await SgdlabApi.post("/v1/markov-chains/analyze", body);
      showMarkov(data, states.length ? states : body.transition_matrix.map((_, i) => "x" + (i + 1)));
    } catch (err) { showProblem(form, err); }
  });
}

function showMarkov(data, labels) {
  const box = $("#stationary");
  const laws = data.stationary ? [data.stationary] : (data.stationary_distributions || []);
  box.replaceChildren(...(laws.length ? laws.map((law, k) => el("div", {},
      laws.length > 1 ? el("p", {textContent: "recurrent class " + (k + 1)}) : null,
      barChart(law, labels, {xLabel: "state", yLabel: "π"})))
    : [el("p", {textContent: "no stationary law"})]));
  const dl = $("#markov-numbers");
  dl.replaceChildren();
  addNumber(dl, "irreducible", String(data.irreducible));
  addNumber(dl, "aperiodic", String(data.aperiodic) + (data.period ? ` (period ${data.period})` : ""));
  addNumber(dl, "spectral gap", num(data.spectral_gap));
  addNumber(dl, "relaxation time (steps)", num(data.relaxation_time));
  addNumber(dl, "communication classes", JSON.stringify(data.communication_classes || []));
  const kl = (data.kl_to_stationary || []).map((y, t) => ({x: t, y}));
  const positive = kl.filter((p) => p.y > 0).length > 1;
  $("#kl-chart").replaceChildren(lineChart(kl, {xLabel: "steps t", yLabel: "KL(ρt ‖ π)", logY: positive}));
  $("#markov-result").hidden = false;
}

// ---- start -------------------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  setupKeyBox();
  const page = document.body.dataset.page;
  if (page === "jobs") setupJobsPage();
  else if (page === "job") setupJobPage();
  else if (page === "markov") setupMarkovPage();
});
