from __future__ import annotations

import csv
import io
import json

from tether.formats import CsvFormatter, JsonFormatter, Report, TextFormatter
from tether.report import Record

RECORDS = (
    Record(name="certifi", status="missing", installed=None, expected="2024.2.2"),
    Record(
        name="idna",
        status="mismatch",
        installed="3.6",
        expected="3.7",
        sites=("/s",),
        detail="3.6 does not satisfy ==3.7",
    ),
    Record(name="six", status="unexpected", installed="1.16.0", expected=None, sites=("/s", "/t")),
)
REPORT = Report(bound="uv.lock", bound_format="uv.lock", python="/v/bin/python", installed=3, records=RECORDS,
                repair="uv sync")  # fmt: skip


def test_text_table_summary_and_color() -> None:
    plain = TextFormatter().format(REPORT)
    assert plain.splitlines()[0].split() == ["package", "status", "installed", "expected", "detail"]
    assert plain.splitlines()[3].split() == ["six", "unexpected", "1.16.0", "-", "/s,", "/t"]
    assert plain.endswith(
        "drift: 1 missing, 1 mismatch, 1 unexpected (/v/bin/python against uv.lock)\nrepair: uv sync\n"
    )
    assert "\033[" not in plain
    colored = TextFormatter(color=True).format(REPORT)
    assert "\033[31mmissing" in colored and "\033[0m" in colored
    valid = Report(bound="uv.lock", bound_format="uv.lock", python="/v/bin/python", installed=1, records=())
    assert TextFormatter().format(valid) == "valid: 1 installed distribution of /v/bin/python match uv.lock\n"


def test_json_contract() -> None:
    data = json.loads(JsonFormatter().format(REPORT))
    assert data["valid"] is False and data["bound"] == "uv.lock" and data["python"] == "/v/bin/python"
    assert data["records"][2] == {"name": "six", "status": "unexpected", "installed": "1.16.0", "expected": None,
                                  "sites": ["/s", "/t"], "detail": ""}  # fmt: skip


def test_csv_rows() -> None:
    rows = list(csv.reader(io.StringIO(CsvFormatter().format(REPORT))))
    assert rows[0] == ["name", "status", "installed", "expected", "sites", "detail"]
    assert rows[3] == ["six", "unexpected", "1.16.0", "", "/s;/t", ""]
