"""Sandboxes in other processes, sharing one state file with each other and with the test."""
from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("sandbox_process.py")


@dataclass
class SandboxProcess:
    url: str
    accounts: dict[str, list[str]]  # name -> [api_key, api_secret]
    proc: subprocess.Popen


@contextmanager
def sandbox_process(state: Path, names: list[str], fsize: int | None = None):
    args = [sys.executable, str(SCRIPT), str(state), *names] + (["--fsize", str(fsize)] if fsize else [])
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox process failed: {proc.stderr.read()}")
        ready = json.loads(line)
        yield SandboxProcess(ready["url"], ready["accounts"], proc)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def sandbox_processes(state: Path, names: list[str], count: int):
    with ExitStack() as stack:
        yield [stack.enter_context(sandbox_process(state, names)) for _ in range(count)]
