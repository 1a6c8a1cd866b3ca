"""Every plot renders as a valid SVG or PNG for 1-D, 2-D and zero-exit-event results; bad names raise."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from sgdlab.plots import PLOT_BLOCKS, PLOT_NAMES, SIMULATION_PLOT_NAMES, PlotUnavailable, UnknownPlot, render_plot

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def svg_size(data: bytes) -> tuple[float, float]:
    """(width, height) in points of an SVG document; fails unless it parses as XML with an <svg> root."""
    root = ET.fromstring(data)
    assert root.tag.endswith("svg"), root.tag
    return tuple(float(root.attrib[k].removesuffix("pt")) for k in ("width", "height"))


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk; fails unless the magic bytes are right."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def expected_plots(result: dict) -> list[str]:
    """The plots a result has the blocks for (dotted block paths resolved as the dashboard does)."""
    def block(path: str):
        doc = result
        for key in path.split("."):
            doc = doc.get(key) if isinstance(doc, dict) else None
        return doc
    return [name for name in PLOT_NAMES if block(PLOT_BLOCKS[name])]


@pytest.mark.parametrize("which", ["result_1d", "result_2d"])
def test_every_available_plot_is_a_valid_svg_and_png(which, request):
    result = request.getfixturevalue(which)
    names = expected_plots(result)
    assert "histogram" in names and "basins" in names
    for name in names:
        width, height = svg_size(render_plot(name, result, "svg"))
        assert width > 100 and height > 100, (name, width, height)
        pw, ph = png_size(render_plot(name, result, "png"))
        assert pw > 300 and ph > 200, (name, pw, ph)


def test_1d_result_has_all_six_plots(result_1d):
    assert expected_plots(result_1d) == list(SIMULATION_PLOT_NAMES)
    assert set(SIMULATION_PLOT_NAMES) == {"histogram", "basins", "survival", "loss_trace", "trajectories", "arrival"}


def test_zero_exit_events_survival_renders_without_a_fit(result_zero_exits):
    svg = render_plot("survival", result_zero_exits, "svg")
    svg_size(svg)
    png_size(render_plot("survival", result_zero_exits, "png"))
    # the 'no fit' note is drawn as text glyph paths; its presence shows in the SVG's text comments
    assert b"no exit events" in svg


def test_fit_drawn_when_particles_escaped(result_1d):
    assert b"no exit events" not in render_plot("survival", result_1d, "svg")


def test_axes_are_labelled_with_units(result_1d, result_2d):
    for name, result, labels in [("histogram", result_1d, [b"density (1/w)", b"loss L(w)"]),
                                 ("survival", result_1d, [b"steps", b"survival probability"]),
                                 ("loss_trace", result_1d, [b"steps", b"loss L(w)"]),
                                 ("histogram", result_2d, [b"w1", b"w2", b"density"])]:
        svg = render_plot(name, result, "svg")
        for label in labels:
            assert label in svg, (name, label)


def test_plot_without_the_landscape_curve_still_renders(result_1d):
    odd = {**result_1d, "spec": {**result_1d["spec"], "landscape": {"builtin": "no_such_landscape"}}}
    png_size(render_plot("histogram", odd, "png"))
    svg_size(render_plot("trajectories", {**odd, "spec": {}}, "svg"))


def test_same_result_gives_the_same_bytes(result_2d):
    assert render_plot("arrival", result_2d, "svg") == render_plot("arrival", result_2d, "svg")


def test_unknown_plot_name_raises_unknown_plot(result_1d):
    with pytest.raises(UnknownPlot) as info:
        render_plot("pie_chart", result_1d, "svg")
    assert isinstance(info.value, KeyError)
    assert "pie_chart" in str(info.value)


def test_missing_block_raises_plot_unavailable_with_reason(result_minimal, result_2d):
    for name in ("survival", "loss_trace", "trajectories", "arrival"):
        with pytest.raises(PlotUnavailable) as info:
            render_plot(name, result_minimal, "svg")
        assert info.value.name == name and info.value.reason
    with pytest.raises(PlotUnavailable, match="exit_times"):
        render_plot("survival", result_2d, "png")


def test_histogram_plot_of_a_result_without_histograms_key_is_unavailable():
    """A sweep's result has no "histograms" key at all (GET .../plots/histogram.svg on a sweep was a 500)."""
    sweep_like = {"kind": "sweep", "spec": {"kind": "sweep"}, "points": [], "analyses": {}}
    for result in (sweep_like, {**sweep_like, "landscape": {"dim": 1}}):
        with pytest.raises(PlotUnavailable, match="final histogram"):
            render_plot("histogram", result, "svg")


def test_bad_format_is_refused(result_1d):
    with pytest.raises(ValueError):
        render_plot("histogram", result_1d, "gif")


def test_renders_from_threads_concurrently(result_1d, result_2d):
    """No pyplot state: concurrent renders give the same bytes as serial ones."""
    from concurrent.futures import ThreadPoolExecutor
    jobs = [("arrival", result_2d), ("loss_trace", result_1d)]
    serial = [render_plot(n, r, "svg") for n, r in jobs]
    with ThreadPoolExecutor(2) as pool:
        parallel = list(pool.map(lambda job: render_plot(job[0], job[1], "svg"), jobs))
    assert parallel == serial


def test_histogram_above_2d_draws_one_marginal_per_coordinate():
    from sgdlab.core.simulation.run import simulate
    result = simulate({"landscape": {"builtin": "quadratic", "params": {"dim": 3}}, "particles": 2000, "steps": 50,
                       "observe": {"histogram": {"bins": 30}}})
    assert result["histograms"]["final"]["layout"] == "marginal"
    png = render_plot("histogram", result, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = render_plot("histogram", result, "svg").decode()
    assert all(f">w{k}<" in svg or f"w{k}" in svg for k in (1, 2, 3))


def test_trajectories_above_2d_show_the_loss_along_each_path():
    from sgdlab.core.simulation.run import simulate
    result = simulate({"landscape": {"builtin": "styblinski_tang", "params": {"dim": 3}}, "particles": 500,
                       "steps": 100, "dynamics": {"lr": 0.01},
                       "observe": {"trajectories": {"count": 4, "every": 5}}})
    png = render_plot("trajectories", result, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def _figure_of(name: str, result: dict):
    """The drawn matplotlib Figure of a plot (to inspect its artists)."""
    from sgdlab.plots import PLOT_DRAWERS
    from sgdlab.plots.figure import new_figure
    fig = new_figure()
    PLOT_DRAWERS[name](fig, result)
    fig.canvas.draw()
    return fig


def test_png_is_wide_enough_for_a_slide_and_dpi_scales_it(result_1d):
    width, _ = png_size(render_plot("histogram", result_1d, "png"))
    assert width >= 1200
    wide, _ = png_size(render_plot("histogram", result_1d, "png", dpi=300))
    assert wide == pytest.approx(7.0 * 300, abs=2)


def test_2d_heatmap_uses_a_log_colour_scale(result_2d):
    from matplotlib.colors import LogNorm
    fig = _figure_of("histogram", result_2d)
    image = fig.axes[0].get_images()[0]
    assert isinstance(image.norm, LogNorm)
    density = np.asarray(result_2d["histograms"]["final"]["density"])
    assert image.norm.vmax == pytest.approx(density.max())
    assert 0 < image.norm.vmin <= density[density > 0].min() * (1 + 1e-12)


def test_legend_does_not_cover_the_gibbs_peak(result_1d):
    fig = _figure_of("histogram", result_1d)
    ax = fig.axes[0]
    legends = fig.legends + [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    assert legends
    edges = np.asarray(result_1d["histograms"]["final"]["edges"][0])
    gibbs = np.asarray(result_1d["gibbs"]["density_theory"])
    peaks = [(0.5 * (edges[i] + edges[i + 1]), gibbs[i]) for i in np.argsort(gibbs)[-3:]]
    renderer = fig.canvas.get_renderer()
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert not box.overlaps(ax.get_window_extent(renderer))   # outside the data area altogether
        for x, y in peaks:
            assert not box.contains(*ax.transData.transform((x, y)))


def test_survival_plot_names_why_a_time_scale_is_missing_and_the_fit_test(result_1d):
    broken = {**result_1d, "exit_times": {**result_1d["exit_times"], "exact_steps": None,
                                          "exact_reason": "solved in 1-D and 2-D only",
                                          "exponential_fit_pvalue": 3e-9, "exponential_fit_rejected": True}}
    svg = render_plot("survival", broken, "svg")
    assert b"exact: unavailable (solved in 1-D and 2-D only)" in svg
    assert b"NOT exponential: fit p = 3e-09" in svg


def density_result_1d() -> dict:
    from sgdlab.core.simulation.hooks import NoHooks
    from sgdlab.spec import JobRequest
    from sgdlab.theory.density_job import finish_density, plan_density, run_density
    spec = JobRequest.model_validate({"kind": "density_evolution", "landscape": {"builtin": "double_well"},
                                      "dynamics": {"lr": 0.1}, "init": {"minimum": 0}, "steps": 30,
                                      "grid": {"points": 80}})
    plan = plan_density(spec)
    return finish_density(plan, [run_density(plan, NoHooks())], 0.1, "d")


def test_density_plots_draw_the_kl_series_and_the_gibbs_gap():
    result = density_result_1d()
    fig = _figure_of("kl_to_stationary", result)
    line = fig.axes[0].get_lines()[0]
    kl = np.asarray(result["kl_to_stationary"])
    np.testing.assert_allclose(line.get_ydata(), kl[kl > 0])
    assert fig.axes[0].get_yscale() == "log"
    gap = f"{result['gibbs']['kl_stationary_vs_gibbs']:.3g}".encode()
    assert gap in render_plot("stationary_vs_gibbs", result, "svg")
    for name in ("kl_to_stationary", "stationary_vs_gibbs"):
        assert png_size(render_plot(name, result, "png"))[0] >= 1200
        with pytest.raises(PlotUnavailable):
            render_plot(name, {"histograms": {}}, "svg")


def _overlaid_theory(result: dict) -> dict[str, np.ndarray]:
    """label -> heights of the black theory stairs the 1-D histogram plot draws."""
    from matplotlib.figure import Figure
    from sgdlab.plots.histogram import draw_histogram_1d
    fig = Figure()
    draw_histogram_1d(fig, result)
    ax = fig.axes[0]
    return {p.get_label(): np.asarray(p.get_data().values) for p in ax.patches
            if p.get_label().startswith(("Gibbs", "stationary law"))}


def test_histogram_overlays_the_stationary_law_for_data_noise_and_gibbs_otherwise(result_1d):
    import copy
    gibbs = np.asarray(result_1d["gibbs"]["density_theory"])
    drawn = _overlaid_theory(result_1d)     # isotropic: no `stationary` other than Gibbs
    assert list(drawn) == ["Gibbs exp(-βL)/Z, β=10"] and np.allclose(drawn["Gibbs exp(-βL)/Z, β=10"], gibbs)
    data_noise = copy.deepcopy(result_1d)
    other = np.roll(gibbs, 3)                 # a law that is not the Gibbs one
    data_noise["stationary"] = {"law": "fokker_planck", "density_theory": other.tolist()}
    drawn = _overlaid_theory(data_noise)
    assert list(drawn) == ["stationary law: fokker_planck"]
    assert np.allclose(drawn["stationary law: fokker_planck"], other)
    data_noise["stationary"]["law"] = "gibbs"   # the law is Gibbs: Gibbs is drawn
    assert list(_overlaid_theory(data_noise)) == ["Gibbs exp(-βL)/Z, β=10"]


def test_survival_legend_with_a_long_unavailable_reason_stays_inside_the_figure(result_1d):
    """A 2-D run's exact time is often unavailable with a long reason: the legend wraps instead of being clipped."""
    import copy
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from sgdlab.plots.figure import new_figure
    from sgdlab.plots.survival import draw_survival
    result = copy.deepcopy(result_1d)
    result["exit_times"].update({"exact_steps": None, "exact_reason": "unavailable: the kernel (typical width "
                                 "0.00791) needs 1518 grid cells per axis, more than 120", "kramers_steps": 9e240})
    fig = new_figure()
    draw_survival(fig, result)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box, page = fig.legends[0].get_window_extent(canvas.get_renderer()), fig.bbox
    assert box.x0 >= page.x0 and box.x1 <= page.x1 and box.y0 >= page.y0, (box, page)
    assert any("needs 1518 grid cells" in t.get_text() and "unavailable (unavailable" not in t.get_text()
               for t in fig.legends[0].get_texts())


def test_survival_names_the_splitting_estimate(result_1d):
    import copy
    from sgdlab.plots.figure import new_figure
    from sgdlab.plots.survival import draw_survival
    result = copy.deepcopy(result_1d)
    result["exit_times"].update({"method": "splitting", "mean_steps": 6.968e8, "kramers_steps": 7.7e8})
    fig = new_figure()
    draw_survival(fig, result)
    labels = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    assert "splitting mean: 6.968e+08 steps (off scale)" in labels, labels
    assert fig.axes[0].get_title().endswith("escaped directly")


def test_basins_plot_marks_the_stationary_law_for_data_noise(result_1d):
    import copy
    from sgdlab.plots.basins import draw_basins
    from sgdlab.plots.figure import new_figure
    result = copy.deepcopy(result_1d)
    result["stationary"] = {"law": "fokker_planck", "basin_fractions_theory": [0.9, 0.1]}
    fig = new_figure()
    draw_basins(fig, result)
    marks = [c for c in fig.axes[0].collections if c.get_label() == "stationary law (fokker_planck) theory"]
    assert len(marks) == 1 and np.allclose(marks[0].get_offsets()[:, 1], [0.9, 0.1])
    assert fig.axes[1].get_title() == "Over time (dashed: stationary law (fokker_planck))"
    fig = new_figure()
    draw_basins(fig, result_1d)           # isotropic: Gibbs
    assert [c.get_label() for c in fig.axes[0].collections if "theory" in c.get_label()] == ["Gibbs theory"]
