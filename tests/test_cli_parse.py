import json

from click.testing import CliRunner

from searchkit.cli import main


def test_parse_json_gives_every_record():
    result = CliRunner().invoke(main, ["parse", "seeds/000_dbed6e9d040a5771.txt", "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == [f"697-{i:02d}" for i in range(1, 13)]


def test_parse_empty_file_is_one_line_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["parse", str(empty)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {empty}: empty file"
