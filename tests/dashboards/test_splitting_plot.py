"""The `splitting` plot (AMS level progression, reactive paths on the landscape) of real 1-D and 2-D splitting
results: valid SVG and PNG, what each panel draws, and unavailable for a direct exit-time result."""

from __future__ import annotations

import numpy as np
import pytest

from sgdlab.jobs.work import make_work
from sgdlab.plots import PLOT_BLOCKS, SIMULATION_PLOT_NAMES, PlotUnavailable, render_plot
from sgdlab.plots.figure import new_figure
from sgdlab.plots.splitting import draw_splitting
from sgdlab.spec import JobRequest

from test_plots import png_size, svg_size

CURVED_2D = "((x**2 - 1)**2 + 0.2*x + 2*(y - 0.3*x**2)**2)"


def run_job(req: dict) -> dict:
    """A job's result document, its tasks run in-process."""
    work = make_work(JobRequest.model_validate(req))
    return work.finish([fn(*args, None) for fn, args in work.tasks], 1.0, "plot-test")


def exit_job(landscape: dict, lr: float, method: str, **extra) -> dict:
    return {"kind": "simulation", "landscape": landscape, "dynamics": {"lr": lr}, "particles": 40, "steps": 20_000,
            "seed": 3, "observe": {"histogram": None, "gibbs": False, "basins": False,
                                   "exit_times": {"from": 1, "to": 0, "method": method, **extra}}}


@pytest.fixture(scope="module")
def split_1d() -> dict:
    return run_job(exit_job({"builtin": "double_well", "params": {"height": 0.5, "tilt": 0.1}}, 0.1, "splitting",
                            repetitions=2))


@pytest.fixture(scope="module")
def split_2d() -> dict:
    return run_job(exit_job({"expression": f"0.3*{CURVED_2D}", "variables": ["x", "y"],
                             "range": [[-2, 2], [-1.5, 2]]}, 0.05, "splitting", repetitions=2))


def test_block_is_the_dotted_levels_path_and_not_a_plain_simulation_plot():
    assert PLOT_BLOCKS["splitting"] == "exit_times.levels"
    assert "splitting" not in SIMULATION_PLOT_NAMES     # no table of that name; only splitting results have it


@pytest.mark.parametrize("which", ["split_1d", "split_2d"])
def test_real_splitting_results_render_as_svg_and_png(which, request):
    result = request.getfixturevalue(which)
    assert result["exit_times"]["method"] == "splitting" and result["exit_times"]["levels"]
    width, height = svg_size(render_plot("splitting", result, "svg"))
    assert width > 600 and height > 250
    pw, ph = png_size(render_plot("splitting", result, "png"))
    assert pw > 1500 and ph > 600


@pytest.mark.parametrize("which, dim", [("split_1d", 1), ("split_2d", 2)])
def test_panels_draw_the_levels_target_and_every_reactive_path(which, dim, request):
    result = request.getfixturevalue(which)
    e = result["exit_times"]
    fig = new_figure(10.0, 4.6)
    draw_splitting(fig, result)
    levels_ax, paths_ax = fig.axes
    level_line = levels_ax.lines[0]
    assert np.allclose(level_line.get_ydata(), e["levels"])
    assert list(level_line.get_xdata()) == list(range(1, len(e["levels"]) + 1))
    target = [ln for ln in levels_ax.lines if ln.get_label().startswith("target")]
    assert len(target) == 1 and target[0].get_ydata()[0] == 1.0       # the committor is 1 at minimum `to`
    assert levels_ax.get_yscale() == "log"
    p = e["transition_probability"]
    assert f"p = {p:.3g}" in levels_ax.get_title()
    paths = e["reactive_paths"]
    assert paths
    drawn = [ln for ln in paths_ax.lines if len(ln.get_xdata()) > 1 and ln.get_linestyle() == "-"]
    assert len(drawn) == len(paths)
    first = np.asarray(paths[0]["path"])
    if dim == 1:    # w against step: the path's last point is the excursion's last step, inside B
        assert np.allclose(drawn[0].get_ydata(), first[:, 0])
        assert drawn[0].get_xdata()[-1] == paths[0]["steps"]
        b = result["landscape"]["minima"][0]["location"][0]
        assert abs(first[-1, 0] - b) < e["regions"]["r_b"]
    else:           # on the plane: the path itself, over the contour map, with the regions as circles
        assert np.allclose(drawn[0].get_xydata(), first[:, :2])
        assert paths_ax.collections, "no contours or critical points drawn"
        assert {pt.get_label() for pt in paths_ax.patches} == {"A", "Σ", "B"}


def test_formula_coordinate_target_is_the_formula_at_minimum_to():
    result = run_job(exit_job({"builtin": "double_well", "params": {"height": 0.5, "tilt": 0.1}}, 0.1, "splitting",
                              repetitions=2, coordinate={"formula": "0.5 - 2*w"}))
    e = result["exit_times"]
    assert e["coordinate"] == "formula"
    fig = new_figure(10.0, 4.6)
    draw_splitting(fig, result)
    levels_ax = fig.axes[0]
    target = [ln for ln in levels_ax.lines if ln.get_label().startswith("target")]
    w_to = result["landscape"]["minima"][0]["location"][0]
    assert target[0].get_ydata()[0] == pytest.approx(0.5 - 2 * w_to, rel=1e-12)
    assert max(e["levels"]) < 0.5 - 2 * w_to                 # the levels stay below the target they head for
    assert levels_ax.get_yscale() == "linear"


def test_above_2d_draws_the_loss_along_each_path(split_1d):
    import copy
    result = copy.deepcopy(split_1d)       # the 1-D double well's paths, read as 3-D quadratic paths
    result["spec"]["landscape"] = {"builtin": "quadratic", "params": {"dim": 3}}
    for p in result["exit_times"]["reactive_paths"]:
        p["path"] = [[w[0], 0.0, 0.0] for w in p["path"]]
    fig = new_figure(10.0, 4.6)
    draw_splitting(fig, result)
    ax = fig.axes[1]
    first = np.asarray(result["exit_times"]["reactive_paths"][0]["path"])
    assert ax.get_ylabel() == "loss L(w) along the path"
    curve = next(ln for ln in ax.lines if len(ln.get_xdata()) > 2)
    assert np.allclose(curve.get_ydata(), 0.5 * (first ** 2).sum(axis=1))   # quadratic: |w|^2 / 2


def test_direct_exit_times_have_no_splitting_plot():
    direct = run_job({**exit_job({"builtin": "double_well", "params": {"height": 0.05, "tilt": 0.01}}, 0.1,
                                 "direct"), "steps": 200})
    assert direct["exit_times"]["method"] == "direct"
    with pytest.raises(PlotUnavailable, match="directly") as info:
        render_plot("splitting", direct, "svg")
    assert info.value.name == "splitting"
    with pytest.raises(PlotUnavailable, match="no exit_times"):
        render_plot("splitting", {"kind": "simulation"}, "png")
