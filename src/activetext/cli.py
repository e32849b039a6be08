"""The ``activetext`` command line (needs the ``cli`` extra: ``pip install "activetext[cli]"``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from activetext.exceptions import MissingDependencyError

try:
    import typer
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(
        'the activetext command line needs typer and rich: pip install "activetext[cli]"'
    ) from error

from activetext.demo import DemoConfig, Strategy

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Active learning for text classification.")


@app.callback()
def _root() -> None:
    """Active learning for text classification."""


@app.command()
def demo(
    strategy: Annotated[Strategy, typer.Option(help="Query strategy.")] = Strategy.BREAKING_TIES,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the initial set and the strategy.")] = 0,
    iterations: Annotated[int, typer.Option(min=0, help="Rounds of querying and labeling.")] = 15,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents queried per round.")] = 20,
    initial_size: Annotated[int, typer.Option(min=2, help="Balanced initial labels.")] = 20,
    output: Annotated[Path, typer.Option(help="Folder for results.json and learning_curve.png.")] = Path(
        "activetext-demo"
    ),
) -> None:
    """Run the article's scenario: 20 Newsgroups baseball vs hockey, TF-IDF, ConfidenceEnhancedLinearSVC."""
    from activetext.demo import run_demo, write_results

    config = DemoConfig(strategy, seed, initial_size, iterations, batch_size)
    console = Console()
    console.print(
        f"[bold]activetext demo[/]: 20 Newsgroups rec.sport.baseball vs rec.sport.hockey, strategy "
        f"[cyan]{strategy.value}[/], {initial_size} initial labels, {iterations} x {batch_size} queries, seed {seed}"
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("active learning", total=iterations + 1)

        def advance(step):
            progress.update(task, advance=1, description=f"{step.labels} labels, accuracy {step.test_accuracy:.3f}")

        result = run_demo(config, on_step=advance)

    table = Table(title="Learning curve (test set)")
    for header in ("labels", "accuracy", "macro F1", "train s", "query s"):
        table.add_column(header, justify="right")
    for step in result.steps:
        table.add_row(
            str(step.labels),
            f"{step.test_accuracy:.4f}",
            f"{step.test_macro_f1:.4f}",
            f"{step.train_seconds:.3f}",
            f"{step.query_seconds:.3f}",
        )
    console.print(table)
    console.print(f"normalized area under the learning curve: {result.normalized_aulc:.4f}")
    json_path, plot_path = write_results(result, output)
    console.print(f"wrote {json_path} and {plot_path}")


@app.command()
def simulate(
    config: Annotated[Path, typer.Argument(help="The TOML file of the experiments.")],
    output: Annotated[
        Path | None, typer.Option(help="Results folder (default: simulation-<config name> beside the current folder).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local worker processes (default: one per CPU; 1 runs in-process).")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a Dask scheduler (tcp://host:8786) to run on instead.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the configuration and list the runs to do; run nothing.")
    ] = False,
) -> None:
    """Run every combination of a simulation configuration that is not done yet, and store the results."""
    from activetext.exceptions import InvalidConfigurationError
    from activetext.simulation import load_config
    from activetext.simulation import simulate as run_simulation

    console = Console()
    try:
        parsed = load_config(config)
    except InvalidConfigurationError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from error
    folder = output or Path(f"simulation-{parsed.name}")
    if dry_run:
        _show_plan(console, parsed, folder)
        return
    with _SimulationProgressBars(console) as bars:
        try:
            summary = run_simulation(parsed, folder, workers=workers, scheduler=scheduler, progress=bars)
        except InvalidConfigurationError as error:
            console.print(f"[red]error:[/] {error}", soft_wrap=True)
            raise typer.Exit(2) from error
    done = len(summary.runs) - summary.skipped - len(summary.failed)
    console.print(
        f"{len(summary.runs)} runs: {done} done now, {summary.skipped} done before, {len(summary.failed)} failed"
    )
    for result in summary.failed:
        last_line = (result.error or "").strip().splitlines()[-1:]
        console.print(f"[red]failed[/] {result.spec.describe()}: {' '.join(last_line)}")
    console.print(f"results in {summary.folder} (results.csv, results.parquet, metadata.json)")
    console.print(f"next: activetext report {summary.folder}")
    if summary.failed:
        raise typer.Exit(1)


def _show_plan(console: Console, config, folder: Path) -> None:
    """Check ``config`` and print its runs, marking those already done in ``folder``."""
    from activetext.exceptions import InvalidConfigurationError
    from activetext.simulation import plan_runs
    from activetext.simulation.store import ResultStore

    store = ResultStore(folder)
    try:
        runs = plan_runs(config, store.cache_folder)
    except InvalidConfigurationError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from error
    done = store.completed_keys()
    table = Table(title=f"{config.name}: {len(runs)} runs, {sum(run.key in done for run in runs)} done")
    for header in ("run", "steps", "key", "state"):
        table.add_column(header)
    for run in runs:
        table.add_row(run.describe(), str(run.total_steps), run.key, "done" if run.key in done else "to do")
    console.print(table)


class _SimulationProgressBars:
    """Progress bars for ``activetext simulate``: one overall, one per run in progress."""

    def __init__(self, console: Console):
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        self.progress = Progress(*columns, console=console, transient=False)
        self.overall: int | None = None
        self.totals: dict[str, int] = {}
        self.names: dict[str, str] = {}
        self.tasks: dict[str, int] = {}
        self.done: set[str] = set()

    def __enter__(self) -> _SimulationProgressBars:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)

    def preparing(self, description: str) -> None:
        self.progress.console.print(description)

    def started(self, runs, skipped: int) -> None:
        self.totals = {run.key: run.total_steps for run in runs}
        self.names = {run.key: run.describe() for run in runs}
        self.overall = self.progress.add_task(f"runs ({skipped} done before)", total=len(runs))

    def step(self, key: str, step: int) -> None:
        if key not in self.names or key in self.done:  # step events may arrive after the run's end
            return
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(f"  {self.names[key]}", total=self.totals[key])
        self.progress.update(self.tasks[key], completed=step + 1)

    def finished(self, result) -> None:
        self.done.add(result.key)
        task = self.tasks.pop(result.key, None)
        if task is not None:
            self.progress.remove_task(task)
        if result.status != "ok":
            self.progress.console.print(f"[red]failed[/] {self.names.get(result.key, result.key)}")
        if self.overall is not None:
            self.progress.advance(self.overall)


@app.command()
def report(
    results: Annotated[
        list[Path], typer.Argument(help="Results folders or tables (CSV, Parquet); several are reported together.")
    ],
    output: Annotated[Path | None, typer.Option(help="Report folder (default: <first results>/report).")] = None,
    metric: Annotated[
        str,
        typer.Option(
            help="Score column: accuracy, macro_f1, micro_f1, ... ('auto': accuracy, micro F1 if multi-label)."
        ),
    ] = "auto",
) -> None:
    """Turn simulation results into learning curves, areas under the curves, labels needed and labels saved."""
    from activetext.exceptions import ActiveTextError
    from activetext.simulation.report import build_report

    console = Console()
    folder = output or (results[0] if results[0].is_dir() else results[0].parent) / "report"
    try:
        built = build_report(results, folder, metric=metric)
    except ActiveTextError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from error
    console.print(f"wrote {built.markdown} and {built.html}")


@app.command()
def serve(
    folder: Annotated[
        Path | None, typer.Argument(help="The project folder, created on the first start (activetext-project).")
    ] = None,
    texts: Annotated[
        Path | None, typer.Option(help="CSV, JSONL or Parquet file of the documents (first start only).")
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="A label, NAME or NAME=DESCRIPTION; repeat for each (first start only)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="A TOML project file (project and labels tables); options given here win.")
    ] = None,
    text_column: Annotated[str | None, typer.Option(help="The column holding the text (default: text).")] = None,
    id_column: Annotated[str | None, typer.Option(help="A column of unique document ids.")] = None,
    name: Annotated[str | None, typer.Option(help="The project's name, shown on the page.")] = None,
    classifier: Annotated[
        str | None, typer.Option(help="auto (frozen encoder if installed, else tfidf), tfidf or encoder.")
    ] = None,
    strategy: Annotated[
        str | None, typer.Option(help="breaking-ties (default), least-confidence, prediction-entropy or random.")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Documents queried per round and annotator (20).")] = None,
    annotations_per_document: Annotated[
        int | None, typer.Option(help="1, or 2 or more for double annotation with agreement.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the cold-start sample, stop set and strategy.")] = None,
    annotator: Annotated[
        list[str] | None, typer.Option("--annotator", help="Add an annotator and print their token; repeatable.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 127.0.0.1 admits this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free port).")] = 8000,
    max_upload_mb: Annotated[float, typer.Option(min=0.001, help="Largest import upload, in MiB.")] = 50.0,
) -> None:
    """Start the labeling app: create the project on the first start, resume it on every later one."""
    try:
        from activetext.app.cli_support import prepare_project
        from activetext.app.server import RunningServer
    except ImportError as error:
        message = f'activetext serve needs the app extra: pip install "activetext[app]" ({error})'
        raise MissingDependencyError(message) from error
    from activetext.exceptions import ActiveTextError

    console = Console()
    options = {
        "texts": texts,
        "labels": label,
        "text_column": text_column,
        "id_column": id_column,
        "name": name,
        "classifier": classifier,
        "strategy": strategy,
        "batch_size": batch_size,
        "annotations_per_document": annotations_per_document,
        "seed": seed,
    }
    try:
        created, tokens = prepare_project(folder, config, options, annotator or [])
        server = RunningServer(created, host=host, port=port, upload_limit=int(max_upload_mb * (1 << 20)))
    except ActiveTextError as error:
        console.print(f"[red]error:[/] {error}", soft_wrap=True)
        raise typer.Exit(2) from error
    settings = server.storage.settings
    console.print(
        f"[bold]activetext serve[/]: project {settings.name!r} in {created} ({server.storage.document_count()} "
        f"documents, classifier {settings.classifier}, strategy {settings.strategy})",
        soft_wrap=True,
    )
    for person, token in tokens.items():
        console.print(f"annotator {person}: {server.url}#token={token}", soft_wrap=True)
    console.print(f"admin token in {created / 'admin-token'}", soft_wrap=True)
    console.print(f"listening on {server.url} (open {server.url}#token={server.admin_token})", soft_wrap=True)
    console.print("stop with Ctrl-C; every acknowledged label is already saved", soft_wrap=True)
    sys.stdout.flush()
    server.run()


def main() -> None:
    """Entry point of the ``activetext`` command."""
    try:
        app()
    except MissingDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
