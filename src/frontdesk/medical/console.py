"""The live per-stage progress display of `frontdesk analyze` (on stderr)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from frontdesk.patterns.steps import ProgressEvent


class StageDisplay:
    """A live list of the run's steps on `console` (stderr): a spinner while a stage or an
    analyst runs, then ✓ or ✗ with its time. Use as a context manager; pass `update` as the
    pipeline's `progress` callback."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(finished_text=""),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> StageDisplay:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, event: ProgressEvent) -> None:
        indent = "" if event.pattern == "pipeline" else "  "
        name = escape(event.step if event.pattern == "pipeline" else f"{event.run} › {event.step}")
        key = (event.run, event.step)
        if event.kind == "started":
            self._tasks[key] = self._progress.add_task(f"{indent}{name} …", total=1)
            return
        task = self._tasks.get(key)
        if task is None:
            return
        if event.kind == "finished":
            text = f"{indent}[green]✓[/] {name} [dim]{event.elapsed_ms:.0f} ms[/]"
        else:
            text = (
                f"{indent}[red]✗[/] {name} [dim]{event.elapsed_ms:.0f} ms[/] "
                f"[red]{event.stop_reason}[/]: {escape(event.error or '')}"
            )
        self._progress.update(task, description=text, completed=1)
