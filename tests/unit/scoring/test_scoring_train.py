"""Training and evaluation end to end on a small labelled directory, and the CLI command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import typer
from scoring_helpers import flow, ssh_session, syn_probe
from typer.testing import CliRunner

from phantomnet.cli.train import register
from phantomnet.scoring.config import ScoringConfig
from phantomnet.scoring.models.scorer import ScoringModel
from phantomnet.scoring.train import Recipe, train


def write_jsonl(path: Path, events: list[object], gz: bool = False) -> str:
    text = "".join(e.model_dump_json() + "\n" for e in events)  # type: ignore[attr-defined]
    if gz:
        path = path.with_name(path.name + ".gz")
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path.name


def make_data(root: Path) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "sessions").mkdir()
    items = []

    def add(name: str, label: str, split: str, flows: list[object], sessions: list[object]) -> None:
        entry = {
            "scenario": name,
            "label": label,
            "tool": name.split("_")[0],
            "run": 1,
            "split": split,
        }
        entry["flows"] = "flows/" + write_jsonl(root / "flows" / f"{name}.jsonl", flows, gz=True)
        entry["sessions"] = "sessions/" + write_jsonl(root / "sessions" / f"{name}.jsonl", sessions)
        items.append(entry)

    web = [flow(f"198.51.100.{i % 9}", t=i * 0.7, bin_=2000 + 37 * i) for i in range(120)]
    logins = [e for i in range(20) for e in ssh_session(f"198.51.100.{i}", t=i * 5)]
    add("curl_a", "benign", "train", web[:80], logins[: len(logins) // 2])
    add("curl_b", "benign", "test", web[80:], logins[len(logins) // 2 :])
    add("nmap_a", "scan", "train", [syn_probe("203.0.113.1", p, p * 0.001) for p in range(300)], [])
    add("nmap_b", "scan", "test", [syn_probe("203.0.113.2", p, p * 0.003) for p in range(200)], [])
    brute = [
        e
        for i in range(15)
        for e in ssh_session(f"203.0.113.{i}", failures=9, accepted=False, t=i * 3)
    ]
    add("hydra_a", "bruteforce", "train", [], brute[: len(brute) // 2])
    add("hydra_b", "bruteforce", "test", [], brute[len(brute) // 2 :])
    (root / "manifest.json").write_text(json.dumps({"items": items}))
    return root


def test_train_writes_model_metadata_and_report(tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    out = tmp_path / "model"
    report = train(data, out, recipe=Recipe(rf_trees=10, if_trees=10), version="t-1")
    flow_r = report["heads"]["flow"]
    held = flow_r["held_out"]
    assert set(held["per_class"]) == {"benign", "scan"}
    assert held["per_class"]["scan"]["support"] == 200
    assert held["confusion"][1][1] + held["confusion"][1][0] == 200
    assert held["false_positives"]["benign"] == 40
    assert flow_r["baseline"]["feature"] in ScoringModel.load(
        ScoringConfig(model_dir=out, model_sha256=report["artifact_sha256"])
    ).features("flow")
    assert "random_split" in flow_r
    assert flow_r["scenarios"]["nmap_b-r1"] == {
        "label": "scan",
        "split": "test",
        "tool": "nmap",
        "rows": 200,
    }
    sess = report["heads"]["session"]["held_out"]
    assert sess["per_class"]["bruteforce"]["recall"] > 0.5
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["artifact_sha256"] == report["artifact_sha256"] and meta["version"] == "t-1"
    assert [f["name"] for f in meta["features"]["flow"]][:2] == ["duration_s", "packets_out"]
    assert meta["training_data"]["items"][0]["scenario"] == "curl_a"
    md = (out / "report.md").read_text()
    for heading in (
        "Held-out scenarios",
        "Single-feature baseline",
        "Confusion matrix",
        "per 10,000",
        "## Features",
    ):
        assert heading in md
    assert json.loads((out / "report.json").read_text())["version"] == "t-1"


def test_cli_train_command(tmp_path: Path) -> None:
    data = make_data(tmp_path / "data")
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps typer from collapsing to one
        """Unused."""

    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.output and "held-out F1" in result.output
    assert (tmp_path / "m" / "model.skops").exists()


def test_missing_manifest_is_one_clear_error(tmp_path: Path) -> None:
    import pytest

    from phantomnet.errors import InvalidInput

    with pytest.raises(InvalidInput, match="no manifest"):
        train(tmp_path, tmp_path / "out")


def test_cli_user_mistake_is_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "phantomnet", "train", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no manifest" in lines[0] and "Traceback" not in done.stderr
