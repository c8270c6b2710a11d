"""The attention experiment kinds through the scenario pipeline, their plots, the ``gated-dmft``
command, the bundled scenarios, and everything that must work without JAX."""

import json
import subprocess
import sys
import textwrap

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.store import open_results
from amsim.scenarios.loader import bundled_scenarios, load_scenario

ATTN_SCENARIOS = [name for name in bundled_scenarios() if name.startswith("attn-")]


def _run_and_plot(tmp_path, text, name="s"):
    toml = tmp_path / f"{name}.toml"
    toml.write_text(textwrap.dedent(text))
    out = tmp_path / f"{name}.h5"
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(toml), "-o", str(out)])
    assert result.exit_code == 0, result.output
    png = tmp_path / f"{name}.png"
    plotted = runner.invoke(main, ["plot", str(out), "-o", str(png)])
    assert plotted.exit_code == 0, plotted.output
    image = mpimg.imread(png)
    assert image.shape[0] > 200 and image.shape[1] > 300
    return open_results(out)


def test_bundled_attention_scenarios_expand():
    """Every bundled attn-* scenario validates and expands into tasks (nothing runs)."""
    assert len(ATTN_SCENARIOS) >= 8
    for name in ATTN_SCENARIOS:
        plan = load_scenario(name)
        assert plan.tasks and plan.scenario.kind in ("attention_init", "attention_train", "gated_dmft")


def test_attention_init_kind_runs_and_plots(tmp_path):
    res = _run_and_plot(tmp_path, """
        name = "init"
        kind = "attention_init"
        seed = 1
        repetitions = 2
        [params]
        H = 8
        L = 2
        n_inputs = 1
        [scan]
        N = [1, 4]
        H = [4, 8, 16]
        [record]
        kernels = true
        """)
    assert len(res.tasks) == 12
    tid = next(iter(res.tasks))
    attrs, arrays = res.read_task(tid)
    h, n = res.params(tid)["H"], res.params(tid)["N"]
    assert arrays["logits"].shape == (h, 1, 16, 16)
    assert arrays["kernels"].shape == (3, 16, 16)
    assert attrs["logit_var_ratio"] == pytest.approx(1, abs=0.8)  # a few heads: only a sanity bound
    assert attrs["logit_kurtosis_theory"] == pytest.approx(6 / n)


def test_gated_kind_runs_and_plots(tmp_path):
    pytest.importorskip("jax", reason="the gated network's training needs JAX (the 'attention' extra)")
    res = _run_and_plot(tmp_path, """
        name = "gated"
        kind = "gated_dmft"
        seed = 1
        repetitions = 2
        [params]
        G = 3
        steps = 50
        eta = 0.01
        [scan]
        N = [50, 200]
        alpha = [0.5, 1.0]
        [record]
        gate_every = 10
        """)
    assert len(res.tasks) == 8
    for tid in res.tasks:
        attrs, arrays = res.read_task(tid)
        assert arrays["loss"].shape == (51,) and arrays["A_net"].shape == (6, 3, 4)
        if res.params(tid)["alpha"] == 1.0:
            assert arrays["dmft_loss"].shape == (51,)
            assert attrs["max_deviation"] == pytest.approx(np.max(np.abs(arrays["loss"] - arrays["dmft_loss"])))
        else:
            assert "dmft_loss" not in arrays and np.isnan(attrs["max_deviation"])
    # all tasks share u (from u_seed) and hence one DMFT curve
    dmfts = [res.read_task(t)[1]["dmft_loss"] for t in res.tasks if res.params(t)["alpha"] == 1.0]
    assert all(np.array_equal(d, dmfts[0]) for d in dmfts)


def test_attention_train_kind_runs_plots_and_is_reproducible(tmp_path):
    pytest.importorskip("jax", reason="training needs JAX (the 'attention' extra)")
    text = """
        name = "train"
        kind = "attention_train"
        seed = 3
        repetitions = 2
        [params]
        H = 2
        L = 1
        steps = 6
        batch = 8
        n_test = 16
        N = 3
        [scan]
        eta0 = [0.1, 0.3]
        [record]
        every = 3
        """
    res = _run_and_plot(tmp_path, text, "a")
    again = _run_and_plot(tmp_path, text, "b")
    assert len(res.tasks) == 4
    for tid in res.tasks:
        attrs, arrays = res.read_task(tid)
        assert arrays["loss"].shape == (6,) and list(arrays["times"]) == [0, 3, 6]
        assert arrays["movement"].shape == (3, 1, 6) and np.all(arrays["movement"][0] == 0)
        assert arrays["logits_final"].shape == (1, 2, 2, 16, 16)
        assert arrays["predictions"].shape == (16, 4)
        assert attrs["final_loss"] > 0 and not attrs["diverged"]
        other_attrs, other = again.read_task(tid)  # same ids: a pure function of (params, seed)
        for key in arrays:
            np.testing.assert_array_equal(arrays[key], other[key])


def test_gated_dmft_command_json(tmp_path):
    pytest.importorskip("jax", reason="the gated network's training needs JAX (the 'attention' extra)")
    runner = CliRunner()
    result = runner.invoke(main, ["gated-dmft", "--gates", "3", "--eta", "0.01", "--gamma", "2.5", "--steps",
                                  "40", "--widths", "50,200", "--seeds", "2", "--seed", "0", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["dmft_loss"]) == 41 and out["dmft_loss"][0] == 1.0
    assert set(out["max_deviation"]) == {"50", "200"}
    assert all(len(v) == 2 and min(v) > 0 for v in out["max_deviation"].values())
    table = runner.invoke(main, ["gated-dmft", "--gates", "3", "--steps", "10", "--widths", "50", "--seeds", "1"])
    assert table.exit_code == 0 and "deviation" in table.output


@pytest.mark.parametrize("args", [["--widths", "10,abc"], ["--widths", "0"], ["--eta", "-1"], ["--seeds", "0"]])
def test_gated_dmft_command_bad_input(args):
    result = CliRunner().invoke(main, ["gated-dmft", "--steps", "5", *args])
    assert result.exit_code == 2
    assert "Error:" in result.output and "Traceback" not in result.output


def test_bad_attention_scenario_is_one_line(tmp_path):
    toml = tmp_path / "bad.toml"
    toml.write_text('name = "bad"\nkind = "attention_train"\nseed = 1\n[params]\nN = 0\nH = 2\neta0 = -1\n')
    result = CliRunner().invoke(main, ["show", str(toml)])
    assert result.exit_code == 2
    assert "params.N" in result.output and "params.eta0" in result.output


def test_everything_but_training_works_without_jax(tmp_path):
    """With JAX made unimportable, amsim and the attention modules import, the init kind and the gated
    model's DMFT run, and everything that trains (the transformer, the gated network: kind and
    ``gated-dmft`` command) fails with a one-line hint to install the extra."""
    code = textwrap.dedent("""
        import sys
        sys.modules["jax"] = None  # any 'import jax' now raises ImportError
        import numpy as np
        from click.testing import CliRunner
        import amsim.cli, amsim.plots.attention_init, amsim.plots.attention_train, amsim.plots.attention_gated
        from amsim.experiments import get_kind
        from amsim.errors import AmsimError
        from amsim.models import gated_dmft as gd
        init, train, gated = get_kind("attention_init"), get_kind("attention_train"), get_kind("gated_dmft")
        r = init.run(init.Params(N=2, H=4), init.Record(), np.random.default_rng(0), None)
        assert r.arrays["logits"].shape == (4, 2, 16, 16)
        rho, u = gd.gate_correlations(3, "warm"), gd.draw_u(np.random.default_rng(0), 3)
        loss, a = gd.solve_dmft(rho, u, 0.01, 2.5, 5, discretization="exact")
        assert loss.shape == (6,) and a.shape == (6, 3, 4)
        for kind, params in ((train, train.Params(N=2, H=2, steps=1)), (gated, gated.Params(N=20, steps=5))):
            try:
                kind.run(params, kind.Record(), np.random.default_rng(0), None)
            except AmsimError as err:
                assert "pip install 'amsim[attention]'" in str(err) and "\\n" not in str(err), str(err)
            else:
                raise SystemExit(kind.name + " ran without JAX")
        cli = CliRunner().invoke(amsim.cli.main, ["gated-dmft", "--steps", "5", "--widths", "10", "--json"])
        assert cli.exit_code == 2, cli.output
        assert cli.output.count("\\n") == 1 and "pip install 'amsim[attention]'" in cli.output, cli.output
        assert "jax" not in [m for m in sys.modules if sys.modules[m] is not None]
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
