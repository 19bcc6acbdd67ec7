import json

from pathlib import Path

from click.testing import CliRunner

from searchkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


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


def test_parse_truncated_issue_shows_its_records_warns_and_fails(tmp_path):
    text = (ROOT / "seeds" / "000_dbed6e9d040a5771.txt").read_text(encoding="utf-8")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.index("临平区人大常委会紧扣中心工作")], encoding="utf-8")
    result = CliRunner().invoke(main, ["parse", str(cut), "--format", "json"])
    assert result.exit_code == 1
    assert [r["id"] for r in json.loads(result.stdout)][:4] == ["697-01", "697-02", "697-03", "697-04"]
    assert "article missing: 情况交流 / 西湖区" in result.stderr
    assert "Traceback" not in result.output
