// Tiny inline-SVG charts for the dashboard (no library): a line chart and a bar chart with labelled axes.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
  const mult = [1, 2, 5, 10].find((m) => (hi - lo) / (m * step) <= count) || 10;
  const s = mult * step, out = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-12 * s; t += s) out.push(+t.toPrecision(12));
  return out;
}

function fmt(v) { return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(4)); }

// points: [{x, y}]; opts: {xLabel, yLabel, logY, width, height}
function lineChart(points, opts) {
  const o = Object.assign({width: 560, height: 280, xLabel: "x", yLabel: "y", logY: false}, opts || {});
  const m = {l: 64, r: 16, t: 12, b: 44};
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logY || p.y > 0));
  const svg = svgEl("svg", {width: o.width, height: o.height, viewBox: `0 0 ${o.width} ${o.height}`, class: "chart"});
  if (!pts.length) { svg.appendChild(svgEl("text", {x: 20, y: 30}, "no data to draw")); return svg; }
  const ty = (y) => (o.logY ? Math.log10(y) : y);
  const xs = pts.map((p) => p.x), ys = pts.map((p) => ty(p.y));
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const W = o.width - m.l - m.r, H = o.height - m.t - m.b;
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * W, sy = (y) => m.t + H - ((y - y0) / (y1 - y0)) * H;
  svg.appendChild(svgEl("rect", {x: m.l, y: m.t, width: W, height: H, class: "frame"}));
  for (const t of niceTicks(x0, x1, 6)) {
    svg.appendChild(svgEl("line", {x1: sx(t), x2: sx(t), y1: m.t + H, y2: m.t + H + 4, class: "tick"}));
    svg.appendChild(svgEl("text", {x: sx(t), y: m.t + H + 16, "text-anchor": "middle"}, fmt(t)));
  }
  for (const t of niceTicks(y0, y1, 5)) {
    svg.appendChild(svgEl("line", {x1: m.l - 4, x2: m.l, y1: sy(t), y2: sy(t), class: "tick"}));
    svg.appendChild(svgEl("text", {x: m.l - 6, y: sy(t) + 4, "text-anchor": "end"}, o.logY ? "1e" + fmt(t) : fmt(t)));
  }
  svg.appendChild(svgEl("text", {x: m.l + W / 2, y: o.height - 6, "text-anchor": "middle", class: "label"}, o.xLabel));
  svg.appendChild(svgEl("text", {x: 14, y: m.t + H / 2, "text-anchor": "middle", class: "label",
    transform: `rotate(-90 14 ${m.t + H / 2})`}, o.yLabel + (o.logY ? " (log)" : "")));
  const d = pts.map((p, i) => (i ? "L" : "M") + sx(p.x).toFixed(1) + " " + sy(ty(p.y)).toFixed(1)).join(" ");
  svg.appendChild(svgEl("path", {d, class: "series"}));
  return svg;
}

// values: numbers; labels: strings; opts: {yLabel, xLabel}
function barChart(values, labels, opts) {
  const o = Object.assign({width: 560, height: 240, xLabel: "state", yLabel: "probability"}, opts || {});
  const m = {l: 56, r: 16, t: 12, b: 44};
  const W = o.width - m.l - m.r, H = o.height - m.t - m.b;
  const top = Math.max(1e-12, ...values.map((v) => (Number.isFinite(v) ? v : 0)));
  const svg = svgEl("svg", {width: o.width, height: o.height, viewBox: `0 0 ${o.width} ${o.height}`, class: "chart"});
  svg.appendChild(svgEl("rect", {x: m.l, y: m.t, width: W, height: H, class: "frame"}));
  const bw = W / Math.max(values.length, 1);
  values.forEach((v, i) => {
    const h = (Math.max(v, 0) / top) * H;
    svg.appendChild(svgEl("rect", {x: m.l + i * bw + bw * 0.15, y: m.t + H - h, width: bw * 0.7, height: h, class: "bar"}));
    svg.appendChild(svgEl("text", {x: m.l + (i + 0.5) * bw, y: m.t + H + 16, "text-anchor": "middle"}, labels[i]));
    svg.appendChild(svgEl("text", {x: m.l + (i + 0.5) * bw, y: m.t + H - h - 4, "text-anchor": "middle"}, fmt(v)));
  });
  for (const t of niceTicks(0, top, 4)) {
    svg.appendChild(svgEl("text", {x: m.l - 6, y: m.t + H - (t / top) * H + 4, "text-anchor": "end"}, fmt(t)));
  }
  svg.appendChild(svgEl("text", {x: m.l + W / 2, y: o.height - 6, "text-anchor": "middle", class: "label"}, o.xLabel));
  svg.appendChild(svgEl("text", {x: 14, y: m.t + H / 2, "text-anchor": "middle", class: "label",
    transform: `rotate(-90 14 ${m.t + H / 2})`}, o.yLabel));
  return svg;
}
