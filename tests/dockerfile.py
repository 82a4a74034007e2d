"""Read the Dockerfile, and rebuild its image's file layout and command without Docker.

No Docker engine runs on the machines this is developed and tested on, so the Dockerfile is
checked in three ways instead: its instructions are linted (tests/test_dockerfile.py); the
browser tests start the app from a directory holding only what the image's COPY lines copy,
with the image's ENV and CMD (``stage`` and ``command``); and ``python -m tests.dockerfile``
(run by .ci/run) executes its RUN lines in a fresh virtual environment and starts its CMD.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Image:
    """The instructions of a Dockerfile that matter here, in order."""

    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    copies: list[tuple[str, str]] = field(default_factory=list)  # (source, destination)
    runs: list[str] = field(default_factory=list)
    user: str = "root"
    expose: list[int] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def parse(path: Path = ROOT / "Dockerfile") -> Image:
    """Parse FROM, ENV, WORKDIR, COPY, RUN, USER, EXPOSE, HEALTHCHECK and CMD (exec form)."""
    image = Image()
    for instruction, args in _instructions(path.read_text()):
        if instruction == "FROM":
            image.base = args
        elif instruction == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                image.env[key] = value
        elif instruction == "WORKDIR":
            image.workdir = args
        elif instruction == "COPY":
            *sources, destination = shlex.split(args)
            image.copies += [(s, destination) for s in sources]
        elif instruction == "RUN":
            image.runs.append(args)
        elif instruction == "USER":
            image.user = args
        elif instruction == "EXPOSE":
            image.expose += [int(p.split("/")[0]) for p in args.split()]
        elif instruction == "HEALTHCHECK":
            image.healthcheck = json.loads(args[args.index("CMD") + 3 :])
        elif instruction == "CMD":
            image.cmd = json.loads(args)
        else:
            raise ValueError(f"unexpected Dockerfile instruction {instruction}")
    return image


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), " ".join(args.split())))
    return out


def stage(image: Image, destination: Path) -> Path:
    """Copy what the image's COPY lines copy (from the repository) into ``destination``."""
    for source, target in image.copies:
        src, dst = ROOT / source, destination / target
        if src.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(src, dst, dirs_exist_ok=True, ignore=ignore)
            continue
        if target.endswith("/") or target == ".":
            dst = dst / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    return destination


def command(image: Image, port: int, python: str = sys.executable) -> list[str]:
    """The image's CMD for ``python``'s environment, on ``port`` and the loopback address."""
    program, *args = image.cmd
    if program != "streamlit":
        raise ValueError(f"expected the CMD to start streamlit, got {image.cmd}")
    args = [a for a in args if not a.startswith(("--server.port", "--server.address"))]
    return [python, "-m", "streamlit", *args, f"--server.port={port}",
            "--server.address=127.0.0.1"]  # fmt: skip


def environment(image: Image) -> dict[str, str]:
    """This process's environment with the image's ENV on top."""
    return {**os.environ, **image.env}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_healthy(url: str, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return True
        except OSError:
            time.sleep(0.3)
    return False


def main() -> int:
    """Build the image's layout in a fresh virtual environment, run its RUN lines and its CMD,
    and check the health endpoint its HEALTHCHECK polls."""
    image = parse()
    with tempfile.TemporaryDirectory() as tmp:
        app = stage(image, Path(tmp) / "app")
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        env = {**environment(image), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
        env.pop("PYTHONHOME", None)
        for line in image.runs:
            if line.startswith("useradd"):  # creates the image's user; nothing to check here
                continue
            print(f"== RUN {line}", flush=True)
            done = subprocess.run(line, shell=True, cwd=app, env=env, capture_output=True,
                                  text=True)  # fmt: skip
            if done.returncode:
                print(done.stdout[-4000:], done.stderr[-4000:], file=sys.stderr)
                print(f"The image's RUN line failed ({done.returncode})", file=sys.stderr)
                return 1
        port = free_port()
        cmd = command(image, port, python=str(venv / "bin" / "python"))
        print(f"== CMD {' '.join(cmd)}", flush=True)
        server = subprocess.Popen(cmd, cwd=app, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)  # fmt: skip
        try:
            healthy = wait_until_healthy(f"http://127.0.0.1:{port}")
        finally:
            server.terminate()
            _, err = server.communicate(timeout=20)
        if not healthy:
            print(err.decode(errors="replace"), file=sys.stderr)
            print("The image's command did not become healthy within 60 s", file=sys.stderr)
            return 1
    print("== the image's RUN lines and CMD work in a clean virtual environment")
    return 0


if __name__ == "__main__":
    sys.exit(main())
