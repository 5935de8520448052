"""README.md and the code stay one source of truth: the by-hand story runs as written, in order, against a real
issuer (``mobileid issuer serve`` on SQLite in a temporary folder), and every output line it shows is printed.

The block's lines starting with ``$ `` are commands; the lines after one, up to the next, are what it prints
(``...`` stands for text left out). A trailing ``# exit N`` says the command's exit code; else it is 0. The one
change to the text: the ``ISSUER=`` line names this test's port instead of 8000, where ``make run`` serves.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
STORY = "### By hand: counter -> wallet -> QR -> verify, then suspend"
MARK = "@@mobileid-readme-step@@"


@dataclass(frozen=True, slots=True)
class Step:
    command: str
    shown: tuple[str, ...]  # output lines as the README shows them
    exit_code: int


def story_steps(readme: str) -> list[Step]:
    """The commands of the README's by-hand story, with what each is shown to print."""
    section = readme.split(STORY, 1)[1]
    block = section.split("```\n", 2)[1]
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    result = []
    for command, shown in steps:
        declared = re.search(r"#\s*exit (\d+)\s*$", command)
        result.append(Step(command, tuple(shown), int(declared.group(1)) if declared else 0))
    return result


def _pattern(shown: str) -> re.Pattern[str]:
    parts = [re.escape(" ".join(part.split())) for part in shown.split("...")]
    return re.compile(".*".join(parts))


def test_the_story_is_parsed_as_a_reader_sees_it() -> None:
    steps = story_steps(README.read_text(encoding="utf-8"))
    commands = [s.command for s in steps]
    assert commands[0].startswith("ISSUER=http://127.0.0.1:8000")
    order = ["verifier sync", "issuer enroll", "wallet init", "wallet receive", "wallet present", "verify age.png",
             "/status", "verifier sync", "wallet present", "verify licence", "wallet refresh", "wallet present"]
    at = 0
    for needle in order:  # counter -> wallet -> QR -> verify, then suspend and verify again, in this order
        at = next(i for i in range(at, len(commands)) if needle in commands[i]) + 1
    assert [s.exit_code for s in steps if "verify " in s.command] == [0, 1]
    assert _pattern("a...b (c)").fullmatch("a  xyz b (c)") and not _pattern("a (c)").search("a c")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _shell_env(home: Path) -> dict[str, str]:
    """A shell after ``. .venv/bin/activate``: this interpreter's bin folder first on PATH, no MOBILEID_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOBILEID_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(home),
               COLUMNS="200", VIRTUAL_ENV=str(Path(sys.executable).parent.parent))
    return env


@pytest.mark.slow
def test_the_by_hand_story_runs_as_written(tmp_path: Path) -> None:
    assert shutil.which("jq") and shutil.which("curl"), "the README's story uses jq and curl (scripts/system-deps.sh)"
    steps = story_steps(README.read_text(encoding="utf-8"))
    port = _free_port()
    env = _shell_env(tmp_path / "home")
    server_env = {**env, "MOBILEID_PORT": str(port), "MOBILEID_SEED_PEOPLE": "300"}  # what `make run` starts
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "mobileid", "issuer", "serve"], cwd=tmp_path,
                                  env=server_env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/trust/root.pem", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the issuer did not start"
            time.sleep(0.3)
        script = []
        for number, step in enumerate(steps):
            command = step.command
            if command.startswith("ISSUER=http://127.0.0.1:8000"):
                command = command.replace(":8000", f":{port}", 1)
            # its errors in its output; the mark on a line of its own even after output without a newline
            script.append(f"{{ {command}\n}} 2>&1\nprintf '\\n{MARK} {number} %d\\n' $?")
        shell = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=300, check=False, stdin=subprocess.DEVNULL)
    finally:
        server.terminate()
        server.wait(timeout=30)
    outputs = re.split(rf"^{MARK} (\d+) (\d+)$", shell.stdout, flags=re.M)
    printed = outputs[0::3][:-1]
    codes = [int(c) for c in outputs[2::3]]
    assert [int(n) for n in outputs[1::3]] == list(range(len(steps))), shell.stdout + shell.stderr
    for step, out, code in zip(steps, printed, codes, strict=True):
        flat = [" ".join(line.split()) for line in out.splitlines()]
        assert code == step.exit_code, (step.command, out)
        for shown in step.shown:
            assert any(_pattern(shown).fullmatch(line) for line in flat), (step.command, shown, out)


def test_the_contributor_guide_holds_what_a_newcomer_needs() -> None:
    """docs/design.md: where things live, the import direction, a new document type, errors, tests, style; and
    nothing that only makes sense on one machine."""
    guide = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    for needle in ("## Where things live", "The import direction", "## Adding a document type",
                   "specs/catalogue/types/", "## Errors and codes", "specs/errors.py", "## Tests", '-m "not slow"',
                   "@pytest.mark.slow", "## Style"):
        assert needle in guide, needle
    assert not re.search(r"(?<![\w.])/(work|home|root|tmp|Users)/", guide)
    for path in re.findall(r"`((?:specs|wallet|verifier|issuer|app|mobileid|tests|docs|scripts|benchmarks)/[\w./-]+)`",
                           guide):
        assert (ROOT / path.split("::")[0]).exists(), path  # every file or folder it names is there
