"""A live progress bar for a run: jobs done/total and the rules running now."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jobs import runner


class ProgressBar:
    def __init__(self, console: Console, title: str, enabled: bool = True):
        self.title = title
        self.bar = Progress(
            TextColumn("[bold]{task.fields[title]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[rules]}"),
            console=console,
            disable=not enabled,
        )
        self.task = self.bar.add_task(title, total=None, title=title, state="QUEUED", rules="")

    def __enter__(self) -> "ProgressBar":
        self.bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()

    def update(self, progress: runner.Progress) -> None:
        rules = sorted(set(progress.running_rules))
        self.bar.update(
            self.task,
            total=progress.total or None,
            completed=progress.done,
            state=progress.state.value,
            rules=("running: " + ", ".join(rules)) if rules else "",
        )
