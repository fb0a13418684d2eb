"""`flask access matrix` writes the permission table as Markdown."""

from casemgmt.access.matrix import matrix_markdown


def test_flask_access_matrix_writes_the_table(app, tmp_path):
    target = tmp_path / "PERMISSIONS.md"
    result = app.test_cli_runner().invoke(args=["access", "matrix", "--output", str(target)])
    assert result.exit_code == 0, result.output
    written = target.read_text(encoding="utf-8")
    assert written == matrix_markdown()
    assert "| action | officer | supervisor | coordinator | admin | auditor | channel |" in written
    assert "| `rules.deploy` | — | — | — | region | — | — |" in written
