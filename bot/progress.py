"""Rich progress bars for long CLI work (syncs), fed by the sync engine's progress callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from store.sync import SyncProgress


@contextmanager
def sync_progress(console: Console, label: str) -> Iterator[Callable[[SyncProgress], None]]:
    """A progress bar per sync phase; yields the callback to hand to the sync engine."""
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def update(event: SyncProgress) -> None:
            if event.phase not in tasks:
                tasks[event.phase] = progress.add_task(f"{label}: {event.phase}", total=event.total)
            progress.update(tasks[event.phase], completed=event.done, total=event.total)

        yield update
        for task in progress.tasks:  # phases of unknown size end as full bars, not as spinners
            if task.total is None:
                progress.update(task.id, total=task.completed)
