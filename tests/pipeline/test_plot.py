"""``amsim plot`` on a trajectory run writes a real image with one panel per task."""

import matplotlib.image as mpimg
from click.testing import CliRunner

from amsim.cli import main


def test_plot_trajectory_run(small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(small_scenario), "-o", str(out)]).exit_code == 0
    png = tmp_path / "fig.png"
    result = runner.invoke(main, ["plot", str(out), "-o", str(png)])
    assert result.exit_code == 0, result.output
    image = mpimg.imread(png)
    assert image.shape[0] > 200 and image.shape[1] > 400  # a rendered figure, not an empty file
    one = runner.invoke(main, ["plot", str(out), "--task", "0", "-o", str(tmp_path / "one.png")])
    assert one.exit_code == 0, one.output
