// sgdlab dashboard pages: jobs list + new-simulation form, one job's page, the Markov-chain page.
"use strict";

// the job page's server-side lists: plot name -> the result block it is drawn from, and the table names
const jobMeta = (key, fallback) => { const m = $("#job-meta"); return m ? JSON.parse(m.dataset[key]) : fallback; };
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

// ---- schedules: which parameters each one takes, read from the service's own schema (/openapi.json) --------
let scheduleParams = {};   // name -> [{name, description, integer}]

// "cosine: first restart period; cyclic: full cycle length" -> {cosine: "first restart period", cyclic: "..."}
function scheduleUses(description) {
  const out = {};
  for (const part of String(description || "").split(";")) {
    const cut = part.indexOf(":");
    if (cut < 0) continue;
    for (const name of part.slice(0, cut).split("/")) out[name.trim()] = part.slice(cut + 1).trim();
  }
  return out;
}

async function loadSchedules() {
  try {
    const {data} = await SgdlabApi.get("/openapi.json");
    const schema = data.components.schemas.ScheduleSpec;
    const names = schema.properties.schedule.enum || [];
    scheduleParams = Object.fromEntries(names.map((n) => [n, []]));
    for (const [param, prop] of Object.entries(schema.properties)) {
      if (param === "schedule") continue;
      const integer = (prop.anyOf || [prop]).some((t) => t.type === "integer");
      for (const [name, text] of Object.entries(scheduleUses(prop.description))) {
        if (scheduleParams[name]) scheduleParams[name].push({name: param, description: text, integer});
      }
    }
  } catch (e) { scheduleParams = {}; }
  const select = $("#schedule");
  select.replaceChildren(el("option", {value: "", textContent: "constant lr"}),
    ...Object.keys(scheduleParams).map((n) => el("option", {value: n, textContent: n})));
}

// a starting value for a schedule parameter, from the lr and steps in the form (the service validates it)
function scheduleDefault(param, lr, steps) {
  return {lr: lr, lr_max: lr, c: lr, lr_min: lr / 10, gamma: 0.5, t0: 2, period_mult: 1,
          step_size: Math.max(1, Math.round(steps / 4)), period: Math.max(1, Math.round(steps / 4)),
          warmup: Math.max(0, Math.round(steps / 10)), total: steps}[param];
}

function renderSchedule() {
  const name = $("#schedule").value;
  const box = $("#schedule-params");
  $("#lr-label").hidden = !!name;
  const lr = Number($("input[name='dynamics.lr']").value) || 0.05, steps = Number($("input[name=steps]").value) || 500;
  box.replaceChildren(...(scheduleParams[name] || []).map((p) => {
    const value = scheduleDefault(p.name, lr, steps);
    const input = el("input", {type: "text", name: "schedule." + p.name, title: p.description,
                               value: value === undefined ? "" : String(+value.toPrecision(6))});
    const error = el("small", {className: "field-error"});
    error.dataset.errorFor = "dynamics.lr." + p.name;
    return el("label", {}, p.name + " ", input, el("small", {className: "hint", textContent: p.description}), error);
  }));
}

// ---- minima of the chosen landscape (POST /v1/landscapes/analyze) for init and exit-time choices ------------
let minima = [];
let analyzeSeq = 0;

function landscapeFromForm(form) {
  const params = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (k.startsWith("param.")) { const val = paramValue(v); if (val !== undefined) params[k.slice(6)] = val; }
  }
  return {builtin: $("#landscape").value, params};
}

function minimumLabel(m) {
  return `${m.index}: w = (${(m.location || []).map((v) => num(v, 3)).join(", ")}), L = ${num(m.loss, 3)}`;
}

async function loadMinima() {
  const seq = ++analyzeSeq;
  const state = $("#minima-state");
  state.textContent = "finding the minima…";
  let found = [];
  try {
    const {data} = await SgdlabApi.post("/v1/landscapes/analyze", {landscape: landscapeFromForm($("#job-form"))});
    found = (data.landscape || {}).minima || [];
    state.textContent = `${found.length} minim${found.length === 1 ? "um" : "a"} found`;
  } catch (err) {
    state.textContent = "minima not available: " + ((err.problem && (err.problem.detail || err.problem.title)) || err.status);
  }
  if (seq !== analyzeSeq) return;  // a newer landscape was chosen meanwhile
  minima = found;
  document.querySelectorAll(".minimum-choice").forEach((select, k) => {
    const keep = select.value;
    select.replaceChildren(...minima.map((m) => el("option", {value: String(m.index), textContent: minimumLabel(m)})));
    if (minima.some((m) => String(m.index) === keep)) select.value = keep;
  });
  const to = $("#exit-to");
  if (minima.length > 1 && to.value === $("#exit-from").value) to.value = String(minima[1].index);
  fillBox();
}

// the uniform box's default: the minima's span with a margin of 1 on each side
function fillBox() {
  if (!minima.length) return;
  const dim = minima[0].location.length;
  const lo = [], hi = [];
  for (let d = 0; d < dim; d++) {
    const xs = minima.map((m) => m.location[d]);
    lo.push(+(Math.min(...xs) - 1).toPrecision(4));
    hi.push(+(Math.max(...xs) + 1).toPrecision(4));
  }
  $("#init-low").value = lo.join(", ");
  $("#init-high").value = hi.join(", ");
}

function renderInit() {
  const kind = $("#init-kind").value;
  $("#init-minimum-label").hidden = kind !== "minimum";
  $("#init-low-label").hidden = $("#init-high-label").hidden = kind !== "uniform";
}

function renderMethod() {
  $("#noise-label").hidden = $("#method").value !== "langevin";
}

const numberList = (text) => String(text).split(",").map((t) => t.trim()).filter(Boolean).map(numberOrText);

function jobRequestFromForm(form) {
  const f = new FormData(form);
  const observe = {};
  if (f.get("observe.exit_times")) {
    observe.exit_times = {from: numberOrText(f.get("observe.exit_times.from") ?? 0),
                          to: numberOrText(f.get("observe.exit_times.to") ?? 1)};
  }
  if (f.get("observe.loss_trace")) observe.loss_trace = {every: 10};
  if (f.get("observe.trajectories")) observe.trajectories = {count: 8, every: 5};
  if (f.get("observe.arrival")) observe.arrival = {bins: 40};
  const method = f.get("dynamics.method") || "langevin";
  const dynamics = {method, batch_size: numberOrText(f.get("dynamics.batch_size"))};
  const schedule = f.get("schedule");
  if (schedule) {
    dynamics.lr = {schedule};
    for (const p of scheduleParams[schedule] || []) {
      const v = String(f.get("schedule." + p.name) || "").trim();
      if (v !== "") dynamics.lr[p.name] = numberOrText(v);
    }
  } else dynamics.lr = numberOrText(f.get("dynamics.lr"));
  if (method === "langevin") dynamics.noise = f.get("dynamics.noise") || "isotropic";
  const body = {kind: "simulation", landscape: landscapeFromForm(form), dynamics,
                particles: numberOrText(f.get("particles")), steps: numberOrText(f.get("steps")),
                seed: numberOrText(f.get("seed")), observe};
  const init = f.get("init.kind");
  if (init === "minimum") body.init = {minimum: numberOrText(f.get("init.minimum") ?? "")};
  if (init === "uniform") body.init = {uniform: {low: numberList(f.get("init.uniform.low")),
                                                 high: numberList(f.get("init.uniform.high"))}};
  return body;
}

function statusBadge(status) { return el("span", {className: "status " + status, textContent: status}); }

function progressBar(p) {
  const bar = el("div", {className: "bar"});
  bar.style.width = Math.round(100 * (p || 0)) + "%";
  return el("div", {className: "progress"}, bar);
}

const watching = new Map();

// the job-list columns after kind, from the status document's `summary` (API.md "Implementation notes")
const SUMMARY_COLUMNS = [["landscape", (v) => v], ["method", (v) => v], ["lr", (v) => (typeof v === "number" ? num(v, 3) : v)],
                         ["batch_size", (v) => v], ["particles", (v) => v], ["steps", (v) => v]];

// "double_well · langevin · lr 0.1 · B 1 · 2000 particles · 500 steps" from a status document's summary
function summaryText(kind, summary) {
  if (!summary) return "";
  const s = summary, parts = [kind, s.landscape, s.method];
  if (s.lr !== null && s.lr !== undefined) parts.push("lr " + (typeof s.lr === "number" ? num(s.lr, 3) : s.lr));
  if (s.batch_size) parts.push("B " + s.batch_size);
  if (s.particles) parts.push(s.particles + " particles");
  if (s.steps !== null && s.steps !== undefined) parts.push(s.steps + " steps");
  if (s.axes && s.axes.length) parts.push("sweep over " + s.axes.join(", "));
  return parts.filter(Boolean).join(" · ");
}

function jobRow(job) {
  const summary = job.summary || {};
  const row = el("tr", {id: "job-" + job.id},
    el("td", {}, el("a", {href: "/dashboard/jobs/" + encodeURIComponent(job.id), textContent: job.id.slice(0, 12),
                          title: job.id})),
    el("td", {textContent: job.kind || "simulation"}),
    ...SUMMARY_COLUMNS.map(([key, show]) => {
      const v = summary[key];
      return el("td", {className: "col-" + key, textContent: v === null || v === undefined ? "–" : String(show(v))});
    }),
    el("td", {className: "status-cell"}, statusBadge(job.status)),
    el("td", {className: "progress-cell"}, progressBar(job.progress)),
    el("td", {className: "col-created", textContent: (job.created_at || "").replace("T", " ").slice(0, 19)}));
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
  const status = $("#status-filter").value;
  if (status) path += "&status=" + encodeURIComponent(status);
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
  $("#landscape").addEventListener("change", () => { renderParams(); loadMinima(); });
  let paramTimer = null;
  $("#landscape-params").addEventListener("input", () => { clearTimeout(paramTimer); paramTimer = setTimeout(loadMinima, 400); });
  $("#method").addEventListener("change", renderMethod);
  $("#schedule").addEventListener("change", renderSchedule);
  $("#init-kind").addEventListener("change", renderInit);
  $("#status-filter").addEventListener("change", () => { nextCursor = null; loadJobs(false); });
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
  renderMethod();
  renderInit();
  loadSchedules();
  loadCatalog().then(loadMinima);
  loadJobs(false);
}

// ---- job page ----------------------------------------------------------------------------------------------
function showStatus(doc) {
  $("#job-status").replaceChildren(statusBadge(doc.status));
  $("#job-progress").style.width = Math.round(100 * (doc.progress || 0)) + "%";
  const times = [["created", doc.created_at], ["started", doc.started_at], ["finished", doc.finished_at]]
    .filter(([, t]) => t).map(([k, t]) => `${k} ${String(t).replace("T", " ").slice(0, 19)}`);
  $("#job-times").textContent = times.join(" · ");
  $("#job-summary").textContent = summaryText(doc.kind, doc.summary);
  $("#job-points").hidden = !doc.points || isFinished(doc.status);
  if (doc.points) {   // a running sweep's SSE progress: points stored, of all, and those running now
    const running = Object.keys(doc.points.running || {}).length;
    $("#job-points").textContent = `points: ${doc.points.done} of ${doc.points.total} done, ${running} running`;
  }
  $("#cancel-job").hidden = isFinished(doc.status);
  if (doc.error) {
    const box = $("#job-error");
    box.hidden = false;
    box.textContent = (doc.error.title || "error") + (doc.error.detail ? ": " + doc.error.detail : "");
  }
}

function addNumber(dl, term, value, note) {
  const dd = el("dd", {textContent: value});
  if (note) dd.append(el("small", {className: "note", textContent: " " + note}));
  dl.append(el("dt", {textContent: term}), dd);
}

const last = (xs) => (xs && xs.length ? xs[xs.length - 1] : null);

// a time scale of the exit-time block, or why the service could not give it (`<name>_reason`)
function timeScale(x, key) {
  const v = x[key + "_steps"];
  if (v !== null && v !== undefined) return [num(v), null];
  return ["unavailable", x[key + "_reason"] || "the result gives no reason"];
}

// the β of the theory that applies: gibbs.beta_theory (for data noise 1/T at the deepest minimum, with its note),
// else the top-level 2B/lr
function betaTheoryRow(result) {
  const g = result.gibbs || {};
  const [, about] = gibbsNotes(g);
  if (g.beta_theory !== undefined && g.beta_theory !== null) return ["β theory (Gibbs law)", num(g.beta_theory), about];
  if ((result.noise || {}).kind === "none") return ["β theory", "none", "gradient descent injects no noise: no stationary law"];
  return ["β theory = 2B/lr", num(result.beta), null];
}

// gibbs.note's parts: [why the comparison is at basin level only (no histogram, or above 2-D), what β means]
function gibbsNotes(g) {
  const parts = String(g.note || "").split("; ").filter(Boolean);
  const basin = parts.filter((p) => p.startsWith("basin-level"));
  const rest = parts.filter((p) => !p.startsWith("basin-level"));
  return [basin.join("; ") || null, rest.join("; ") || null];
}

// [term, value, note] rows of the stationary law the dynamics that ran has (issue 9)
function stationaryRows(s) {
  if (!s) return [];
  const rows = [["stationary law", s.law, s.note]];
  if (s.basin_total_variation !== undefined && s.basin_total_variation !== null) {
    rows.push([`basin fractions: total variation to ${s.law}`, num(s.basin_total_variation, 3)]);
  }
  if (s.law !== "gibbs" && s.kl_divergence !== undefined) {   // for gibbs these are the Gibbs rows above
    rows.push([`KL(histogram ‖ ${s.law})`, num(s.kl_divergence, 3)],
              [`total variation to ${s.law}`, num(s.total_variation, 3)],
              [`χ² p-value against ${s.law}`, num(s.chi2_pvalue, 3)]);
  }
  const gc = s.grid_chain;
  if (gc) rows.push(["grid chain law: KL · TV · χ² p", `${num(gc.kl_divergence, 3)} · ${num(gc.total_variation, 3)} · ${num(gc.chi2_pvalue, 3)}`, gc.note]);
  return rows;
}

// [term, value, note] rows of the exit-time block: direct, or splitting with its direct estimate beside it
function exitRows(x) {
  const ci = (c) => `[${num((c || [])[0])}, ${num((c || [])[1])}]`;
  const rows = [];
  const splitting = x.method === "splitting";
  rows.push([`exit ${x.from} → ${x.to}: escaped`, `${x.escaped} of ${x.particles}`, splitting ? "direct particles" : null]);
  const misfit = x.exponential_fit_rejected === true;
  if (splitting) {
    rows.push(["exit time method", "splitting", x.note || null],
              ["mean exit time (steps)", `${num(x.mean_steps)} ${ci(x.ci95)}`, "adaptive multilevel splitting"],
              ["transition probability", `${num(x.transition_probability, 3)} ± ${num(x.transition_probability_stderr, 2)}`,
               "an excursion from the neighbourhood boundary reaches the target before returning"],
              ["splitting cost (particle-steps)", num(x.cost_particle_steps, 3),
               `${x.replicas} replicas × ${x.repetitions} repetitions, ${x.iterations} iterations`]);
    const d = x.direct || {};
    const fit = d.exponential_fit_test ? ` · exponential fit: ${d.exponential_fit_pvalue === null || d.exponential_fit_pvalue === undefined
      ? d.exponential_fit_test : "p = " + num(d.exponential_fit_pvalue, 3)}` : "";
    rows.push(["direct estimate (steps)", `${num(d.mean_steps)} ${ci(d.ci95)}`, `${d.escaped} of ${d.particles} escaped${fit}`]);
  } else {
    rows.push(["mean exit time (steps)", `${num(x.mean_steps)} ${ci(x.ci95)}`,
               misfit ? "the survival curve is not exponential: this mean and interval assume it is" : null]);
  }
  if ("exponential_fit_pvalue" in x) {
    const p = x.exponential_fit_pvalue;
    rows.push(["exponential fit p-value", p === null ? "not tested" : num(p, 3),
               p === null ? String(x.exponential_fit_test || "").replace(/^not tested: /, "")
                          : `${misfit ? "rejected" : "not rejected"} · ${x.exponential_fit_test}`]);
  }
  for (const [term, key, how] of [["Kramers (steps)", "kramers", "kramers_formula"], ["exact MFPT (steps)", "exact", "exact_method"]]) {
    const [value, why] = timeScale(x, key);
    rows.push([term, value, why || x[how] || null]);
  }
  return rows;
}

// [term, value, note] rows of a simulation result
function simulationNumbers(result) {
  const g = result.gibbs || {}, x = result.exit_times, perf = result.performance || {}, noise = result.noise;
  const rows = [["temperature T = lr/(2B)", num(result.temperature)], betaTheoryRow(result)];
  if (noise) rows.push(["noise", noise.kind, noise.kind === "minibatch" && noise.finite_population_factor !== undefined
                         ? `finite-population factor ${num(noise.finite_population_factor, 3)}` : null]);
  if (result.gibbs) {
    rows.push(["β fitted", `${num(g.beta_fit)} ± ${num(g.beta_fit_stderr, 2)}`, gibbsNotes(g)[0]],
              ["KL(histogram ‖ Gibbs)", num(g.kl_divergence, 3)], ["total variation to Gibbs", num(g.total_variation, 3)],
              ["χ² p-value against Gibbs", num(g.chi2_pvalue, 3)]);
  }
  const s = result.stationary;
  rows.push(...stationaryRows(s));
  if (x) rows.push(...exitRows(x));
  if (perf.backend) rows.push(["backend", perf.backend, perf.backend_reason || null]);
  if (perf.particle_steps_per_second) rows.push(["particle-steps / s", num(perf.particle_steps_per_second, 3)]);
  if (perf.particle_steps_per_worker_second) rows.push(["particle-steps / worker-second",
    num(perf.particle_steps_per_worker_second, 3), `${num(perf.worker_seconds, 3)} worker seconds over ${perf.shards} shards`]);
  if (perf.seconds !== undefined) rows.push(["run seconds", num(perf.seconds, 3),
    [perf.seconds_measure === "shards" ? "from the job's first shard to its last: queue waits left out" : perf.seconds_measure,
     perf.compile_seconds ? `compiling ${num(perf.compile_seconds, 3)}` : null].filter(Boolean).join(" · ") || null]);
  return rows;
}

// [term, value, note] rows of a density_evolution result
function densityNumbers(result) {
  const g = result.gibbs || {}, kl = result.kl_to_stationary || [], tv = result.total_variation_to_stationary || [];
  const grid = (result.grid || {}).points || [];
  const perf = result.performance || {};
  const finalStep = ((result.histograms || {}).final || {}).step ?? last(result.series_steps);
  return [
    ["temperature T = lr/(2B)", num(result.temperature)], betaTheoryRow(result),
    ["grid", grid.length ? grid.join(" × ") + " points" : "–"],
    ["final step", finalStep === null || finalStep === undefined ? "–" : String(finalStep)],
    ["KL(ρ₀ ‖ ρ∞) at the start", num(kl[0], 3)],
    ["KL(ρ_T ‖ ρ∞) at the end", num(last(kl), 3)],
    ["total variation to ρ∞ at the end", num(last(tv), 3)],
    ["stationary vs Gibbs: KL(ρ∞ ‖ Gibbs)", num(g.kl_stationary_vs_gibbs, 3),
     "the gap of the discrete chain's own law to exp(-βL)/Z"],
    ["stationary vs Gibbs: total variation", num(g.total_variation_stationary_vs_gibbs, 3)],
    ["compute seconds", num(perf.seconds, 3)],
  ];
}

// [term, value, note] rows of a sweep result: its grid and the analyses across its points
function sweepNumbers(result) {
  const a = result.analyses || {}, perf = result.performance || {};
  const rows = [["points", String((result.points || []).length),
                 `${result.mode} over ${(result.axes || []).join(", ")}, ${result.repeats} repeat(s)`]];
  if (a.arrhenius) {
    const f = a.arrhenius;
    rows.push(["Arrhenius slope (log τ vs β ΔL)", `${num(f.slope, 3)} ± ${num(f.slope_stderr, 2)}`,
               `95% [${num(f.slope_ci95[0], 3)}, ${num(f.slope_ci95[1], 3)}]; Kramers: 1`],
              ["Arrhenius prefactor", num(f.prefactor, 3), `Kramers ${num(f.kramers_prefactor, 3)}`]);
  }
  if (a.linear_scaling) {
    rows.push(["linear scaling: smallest p, equal lr/B", num(a.linear_scaling.min_pvalue_same_ratio, 3),
               "two-sample χ² of final histograms at equal lr·steps; large p: the laws agree"],
              ["linear scaling: largest p, different lr/B", num(a.linear_scaling.max_pvalue_different_ratio, 3)]);
  }
  if (a.stability) rows.push(["stability edge (theory)", `lr·λmax = ${num(a.stability.edge_theory)}`, a.stability.note]);
  if (perf.seconds !== undefined) rows.push(["seconds", num(perf.seconds, 3)]);
  return rows;
}

const SWEEP_COLUMNS = ["kl_divergence", "beta_fit", "exit_mean_steps", "diverged_fraction"];

// one row per point: its index, its axis values, a few summary numbers, a link to its full result
function showPoints(result) {
  const axes = result.axes || [], table = $("#points-table");
  table.hidden = false;
  table.tHead.replaceChildren(el("tr", {}, ...["point", ...axes, ...SWEEP_COLUMNS, "result"].map(
    (h) => el("th", {textContent: h}))));
  const text = (v) => (typeof v === "number" ? num(v, 4) : typeof v === "object" ? JSON.stringify(v) : String(v));
  table.tBodies[0].replaceChildren(...(result.points || []).map((p) => el("tr", {},
    el("td", {textContent: p.index}),
    ...axes.map((path) => el("td", {textContent: text(p.params[path])})),
    ...SWEEP_COLUMNS.map((k) => el("td", {textContent: num((p.summary || {})[k], 4)})),
    el("td", {}, el("a", {href: p.result, textContent: "JSON"})))));
}

// the basins' theory column: the stationary law's fractions when it gives them, else Gibbs; and which law it is
function basinTheory(result) {
  const s = result.stationary || {}, g = result.gibbs || {};
  if (s.basin_fractions_theory) return [s.basin_fractions_theory, `theory (${s.law})`];
  if (g.basin_fractions_theory) return [g.basin_fractions_theory, "theory (Gibbs)"];
  return [[], "theory"];
}

const matrixText = (m, digits) => (m ? m.map((row) => row.map((v) => num(v, digits || 3)).join(" ")).join("; ") : "–");

// one row per minimum: its noise temperature and alignment with the Hessian, and its local law theory vs measured
function showMinimaTable(result) {
  const noiseMinima = ((result.noise || {}).minima) || [], laws = result.local_laws || [];
  const noisy = (result.noise || {}).kind !== "none";      // gradient descent: no temperature, no local law
  const indices = noisy ? [...new Set([...noiseMinima.map((m) => m.index), ...laws.map((l) => l.index)])].sort((a, b) => a - b) : [];
  $("#minima-table").hidden = !indices.length;
  $("#minima-table tbody").replaceChildren(...indices.map((i) => {
    const n = noiseMinima.find((m) => m.index === i) || {}, l = laws.find((m) => m.index === i) || {};
    const align = n.hessian_alignment || {};
    const measured = l.covariance_measured ? `${matrixText(l.covariance_measured)} ± ${matrixText(l.stderr, 2)}` : "–";
    return el("tr", {},
      el("td", {textContent: i}), el("td", {textContent: num(n.temperature_scalar, 3)}),
      el("td", {textContent: `${num(align.trace_ratio, 3)} · ${num(align.cosine, 3)}`}),
      el("td", {textContent: l.covariance_theory ? matrixText(l.covariance_theory) : (l.note || "–")}),
      el("td", {textContent: measured}), el("td", {textContent: num(l.max_abs_z, 3)}),
      el("td", {textContent: l.particles ?? "–"}));
  }));
}

function showNumbers(result) {
  const dl = $("#key-numbers");
  if (result.kind === "sweep") showPoints(result);
  const rows = result.kind === "sweep" ? sweepNumbers(result)
    : result.kind === "density_evolution" ? densityNumbers(result) : simulationNumbers(result);
  dl.replaceChildren();
  for (const [term, value, note] of rows) addNumber(dl, term, value, note);
  const final = (result.basins || {}).final || [];
  const minima = (result.landscape || {}).minima || [];
  const [theory, label] = basinTheory(result);
  $("#basin-theory-label").textContent = label;
  $("#basin-table").hidden = !final.length;
  $("#basin-table tbody").replaceChildren(...final.map((b) => el("tr", {},
    el("td", {textContent: b.basin}),
    el("td", {textContent: ((minima[b.basin] || {}).location || []).map((v) => num(v, 3)).join(", ")}),
    el("td", {textContent: `${num(b.fraction)} ± ${num(b.stderr, 2)}`}),
    el("td", {textContent: num(theory[b.basin])}))));
  if (result.kind !== "density_evolution") showMinimaTable(result);
  $("#numbers-card").hidden = false;
}

// ---- validity warnings (issue 9): each warning listed, and repeated next to the numbers it qualifies --------
const WARNING_QUALIFIES = {
  diverged: ["exit ", "mean exit time"], unstable_lr: ["temperature", "Kramers"], large_lr: ["Kramers", "β theory", "stationary law"],
  schedule: ["temperature", "β theory", "Kramers"], low_barrier: ["Kramers"],
  state_dependent_noise: ["temperature", "β theory"],
  not_mixed: ["β fitted", "KL(histogram", "stationary law"], no_minimum: ["temperature"],
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
  const plotBlocks = jobMeta("plots", {}), tableNames = jobMeta("tables", []);
  const blockOf = (path) => path.split(".").reduce((doc, key) => (doc ? doc[key] : undefined), result);
  const names = Object.keys(plotBlocks).filter((n) => blockOf(plotBlocks[n]));
  box.replaceChildren(...names.map((name) => {
    const img = el("img", {alt: name + " plot", className: "plot", id: "plot-" + name});
    const url = jobUrl(id) + "/plots/" + name + ".svg";
    SgdlabApi.loadImage(img, url).catch(() => { img.alt = name + ": not available"; });
    return el("figure", {className: "plot-" + name}, img, el("figcaption", {},
      name + " · ", el("a", {href: url, textContent: "svg"}), " · ",
      el("a", {href: jobUrl(id) + "/plots/" + name + ".png", textContent: "png"}), " · ",
      el("a", {href: jobUrl(id) + "/plots/" + name + ".png?dpi=300", textContent: "png for print"})));
  }));
  const tables = names.filter((n) => tableNames.includes(n)).concat(result.kind === "sweep" ? ["points"] : []);
  $("#table-links").replaceChildren("Tables: ", ...tables.flatMap((name) => [
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
  else SgdlabApi.watchJob(id, (ev) => showStatus(Object.assign(doc, {status: ev.status || "running", progress: ev.progress,
                                                                points: ev.points})), finish);
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
    clearMarkov();
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

// forget the previous answer, so an error is never shown next to results of another matrix
function clearMarkov() {
  $("#markov-result").hidden = true;
  for (const id of ["#stationary", "#markov-numbers", "#kl-chart"]) $(id).replaceChildren();
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
