"""The simulation harness: which query strategy saves labels on your data, measured.

A TOML configuration names data sets, classifiers, strategies, stopping criteria and the protocol;
:func:`simulate` runs every combination with the true labels as the annotator (locally in worker processes or
on a Dask cluster), resumably, and stores a tidy table of learning curves. :func:`build_report` turns results
into learning-curve plots, areas under the curves, labels needed and labels saved against random sampling.

On the command line: ``activetext simulate CONFIG`` and ``activetext report RESULTS``. Needs the ``simulation``
extra (pandas, pyarrow, matplotlib, dask.distributed).
"""

from activetext.simulation.config import ComponentSpec, DatasetSpec, SimulationConfig, load_config, parse_config
from activetext.simulation.executor import SimulationProgress, SimulationSummary, simulate
from activetext.simulation.plan import plan_runs
from activetext.simulation.report import Report, build_report, load_results
from activetext.simulation.runner import RunResult, RunSpec, execute_run

__all__ = [
    "ComponentSpec",
    "DatasetSpec",
    "Report",
    "RunResult",
    "RunSpec",
    "SimulationConfig",
    "SimulationProgress",
    "SimulationSummary",
    "build_report",
    "execute_run",
    "load_config",
    "load_results",
    "parse_config",
    "plan_runs",
    "simulate",
]
