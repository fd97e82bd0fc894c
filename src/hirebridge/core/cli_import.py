"""`hirebridge candidates import FILE.csv --org ID --job ID`: candidates from a CSV file, with a progress bar and a
table of the rows that were refused (``core.csv_import``). Exit status 0 when every row was imported (or had been
before), 1 when some rows were refused (the others are imported), 2 when nothing could be imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from hirebridge.clihelp import HelpGroup
from hirebridge.errors import AppError
from hirebridge.orgs.cli import app_error, database, err, fail, organization_id

app = typer.Typer(cls=HelpGroup, help="Candidates of an organization.", no_args_is_help=True)
MAX_ERRORS_SHOWN = 200


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV file: name,email,phone,city,region,country,external_id.")],
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    job: Annotated[str, typer.Option("--job", help="The job the candidates apply to (its id).")],
) -> None:
    """Import candidates into a job; a re-run creates no duplicates (rows are known by external_id, else email)."""
    from hirebridge.core.csv_import import MAX_FILE_BYTES, ImportRefused, import_candidates

    org_id = organization_id(org)
    try:
        job_id = str(UUID(job))
    except ValueError:
        raise fail("--job must be a job id (a UUID)") from None
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise fail(f"{file} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
        content = file.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from None
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with database() as sessions, Progress(*columns, console=err) as progress:
            task = progress.add_task("import", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = import_candidates(sessions, org_id, job_id, content, progress=advance)
    except ImportRefused as exc:
        raise fail(f"{file}: {exc}") from None
    except AppError as exc:
        raise app_error(exc) from None
    if report.ignored_columns:
        err.print(f"ignored columns: {', '.join(report.ignored_columns)}", markup=False)
    if report.errors:
        table = Table("Line", "Column", "Reason", title="Rows not imported")
        for error in report.errors[:MAX_ERRORS_SHOWN]:
            table.add_row(str(error.line), Text(error.field), Text(error.reason))
        err.print(table)
        if len(report.errors) > MAX_ERRORS_SHOWN:
            err.print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more")
    bad_rows = len({e.line for e in report.errors})
    err.print(
        f"{report.created} created, {report.applied} existing candidates applied, "
        f"{report.unchanged} already imported, {bad_rows} refused"
    )
    if bad_rows:
        raise typer.Exit(code=1)
