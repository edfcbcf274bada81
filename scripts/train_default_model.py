#!/usr/bin/env python3
"""Retrain the shipped default model reproducibly from ``data/training``.

1. checks every capture and session file against the SHA-256 in ``manifest.json``;
2. trains with the fixed recipe (seeded) through the monitor's pcap replay;
3. writes ``src/phantomnet/scoring/default_model/`` (model.skops + metadata.json), copies the
   report to ``docs/model-report.md`` (and ``report.json`` beside the model), and pins the new
   hash in ``phantomnet/scoring/config.py`` (``DEFAULT_MODEL_SHA256``).

Usage: ``.venv/bin/python scripts/train_default_model.py [--data data/training]``
(regenerate the data first with ``sudo .venv/bin/python scripts/gen_training_data.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
from pathlib import Path

from phantomnet.cli.train import monitor_reader
from phantomnet.scoring.train import train

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "src" / "phantomnet" / "scoring" / "default_model"
CONFIG = ROOT / "src" / "phantomnet" / "scoring" / "config.py"
VERSION = "pn-default-2026.11"
NOTES = """
## Notes on how these figures were reached (read before trusting them)

* The held-out split was fixed in `scripts/gen_training_data.py` before any training; it has
  not been changed after seeing results.
* One design change was made after seeing held-out results, so for that class the test
  scenario is no longer fully unseen: the first model had no per-source context in the
  session head, and scored hydra's http-post-form brute force (one password per connection)
  at session F1 0.02 (every session alone is one failed login). The session head now counts
  sessions, failed logins and requests per source over 120 s (`ctx_*` features).
* Floods and scans are hard to tell apart per flow: a held-out UDP or random-source flood
  looks like a scan to a model that only saw a TCP SYN flood. Both still get alerts/blocks;
  the monitor's flood detectors name the attack.
* The single-feature baseline is close to the forest on the flow head: this lab traffic is
  easy to separate (D'hooge et al.). Real networks are not this clean.
* The benign alerts of the flow head (152 of 1,303 held-out benign flows; no blocks) are 149
  flows of the held-out `dig` run (AAAA queries over UDP, and `dig +tcp` to a resolver that
  refuses TCP) and 3 wget flows. The forest was unsure (scores 40-56: P(benign) 0.44-0.6,
  the rest mostly "scan"): the training run only asked A queries over UDP, and nmap's UDP scan
  sends real DNS queries to port 53 too. An earlier monitor build that did not yet mark flows
  with their application (`app`) gave 31 such alerts on the same data: features that depend
  on another component's version move the figures, so retrain when the monitor changes.
* Shortcut check: `phantomnet train --include-identity` (raw source and destination ports
  added) leaves the held-out flow macro F1 unchanged (0.506) and lowers benign alerts from
  1,167 to 146 per 10,000, because in this lab every benign service sits on its usual port.
  That is the kind of gain that does not transfer to another network, so ports stay out.
* Volumes are small (hundreds to thousands of rows per scenario), from one lab host pair;
  FP per 10,000 is measured on about 1,300 benign test flows, so its resolution is ~8/10k.
"""


def verify(data: Path) -> None:
    manifest = json.loads((data / "manifest.json").read_text())
    for item in manifest["items"]:
        for key in ("capture", "sessions"):
            path = data / item[key]
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != item[f"{key}_sha256"]:
                raise SystemExit(f"{path}: SHA-256 differs from the manifest")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "training")
    args = parser.parse_args()
    verify(args.data)
    report = train(args.data, MODEL_DIR, pcap_reader=monitor_reader, version=VERSION)
    (MODEL_DIR / "report.md").unlink()
    shutil.move(str(MODEL_DIR / "report.json"), ROOT / "docs" / "model-report.json")
    from phantomnet.scoring.report import render_markdown

    text_md = render_markdown(report) + NOTES
    (ROOT / "docs" / "model-report.md").write_text(text_md, encoding="utf-8")
    digest = report["artifact_sha256"]
    text = CONFIG.read_text()
    text = re.sub(
        r'DEFAULT_MODEL_SHA256 = "[0-9a-f]+"|DEFAULT_MODEL_SHA256 = "0" \* 64',
        f'DEFAULT_MODEL_SHA256 = "{digest}"',
        text,
    )
    CONFIG.write_text(text)
    size = (MODEL_DIR / "model.skops").stat().st_size
    print(f"default model {VERSION}: {size / 1024:.0f} KiB, sha256 {digest}")


if __name__ == "__main__":
    main()
