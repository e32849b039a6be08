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


def main() -> None:
    """Entry point of the ``activetext`` command."""
    try:
        app()
    except MissingDependencyError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
