"""`flask import evaluations FILE --as USER`: the bulk intake of the API (POST /api/v1/evaluations:batch), from a file.

FILE holds JSON Lines (one evaluation per line) or one JSON array. It is sent in batches of 1,000, each its own
transaction through the same use case as the API, so running the command again after an interruption skips what
went in (duplicates by external_id) and neither loses nor doubles anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app

from casemgmt.access.queries import get_user
from casemgmt.errors import DomainError
from casemgmt.intake.batch import submit_batch
from casemgmt.intake.schemas import BATCH_LIMIT
from web.api.inputs import commit_once


def read_items(path: Path) -> list:
    """Read the evaluations of a JSON Lines file or of a file holding one JSON array."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        items = json.loads(text)
        if not isinstance(items, list):
            raise click.BadParameter("文件须为 JSON 数组或每行一条 JSON")
        return items
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@click.command("evaluations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="the region's channel account that submits them")
def evaluations_command(path: Path, username: str) -> None:
    """Import evaluations from FILE (JSON Lines or a JSON array) through the bulk intake."""
    try:
        items = read_items(path)
    except ValueError as err:
        raise click.BadParameter(f"无法读取 {path}：{err}") from err
    counts = {"created": 0, "duplicate": 0, "invalid": 0}
    invalid: list[tuple[int, dict]] = []
    with click.progressbar(length=len(items), label="导入评价") as bar:
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = items[start : start + BATCH_LIMIT]
            try:
                results = commit_once(
                    lambda chunk=chunk: [
                        (r.index, r.status, r.errors)
                        for r in submit_batch(chunk, get_user(username), current_app.config["CLOCK"]())
                    ]
                )
            except DomainError as err:
                raise click.ClickException(err.message) from err
            for index, status, errors in results:
                counts[status] += 1
                if status == "invalid":
                    invalid.append((start + index + 1, errors))
            bar.update(len(chunk))
    for line, errors in invalid[:50]:
        click.echo(f"  第 {line} 条：{json.dumps(errors, ensure_ascii=False)}", err=True)
    click.echo(f"新增 {counts['created']}，重复 {counts['duplicate']}，有误 {counts['invalid']}")
