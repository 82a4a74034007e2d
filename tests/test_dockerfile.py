"""The Dockerfile, linted: no Docker engine runs here (see tests/dockerfile.py for the rest)."""

import re

from tests.dockerfile import ROOT, parse, stage
from ui import kept

IMAGE = parse()
APP_FOLDERS = {"i18n/", "engine/", "figures/", "ui/", "pages/", ".streamlit/"}


def test_the_base_image_is_a_pinned_slim_python_of_the_supported_version():
    assert re.fullmatch(r"python:3\.1[1-9]\.\d+-slim(-\w+)?", IMAGE.base), IMAGE.base


def test_dependencies_come_from_the_pinned_requirements_only():
    installs = [r for r in IMAGE.runs if "pip install" in r]
    assert installs == ["pip install --no-cache-dir -r requirements.txt"]
    # requirements.txt is copied before the code, so code changes reuse the dependency layer
    order = [source for source, _ in IMAGE.copies]
    assert order[0] == "requirements.txt" and "app.py" in order


def test_the_image_holds_the_app_and_nothing_it_does_not_run(tmp_path):
    sources = {source for source, _ in IMAGE.copies}
    assert sources == {"requirements.txt", "app.py"} | APP_FOLDERS
    assert all((ROOT / s).exists() for s in sources)
    staged = stage(IMAGE, tmp_path)
    assert (staged / "app.py").is_file() and (staged / ".streamlit" / "config.toml").is_file()
    assert not (staged / "tests").exists() and not list(staged.rglob("__pycache__"))
    # Every module the app imports is inside the copied folders.
    imported = set()
    for py in staged.rglob("*.py"):
        imported |= set(re.findall(r"^from (\w+)[.\w]* import", py.read_text(), re.M))
    local = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert imported & local <= {f.rstrip("/") for f in APP_FOLDERS}


def test_a_shared_server_runs_unprivileged_with_one_blas_thread_and_a_healthcheck():
    assert IMAGE.user not in ("root", "0", "")
    assert IMAGE.env["OPENBLAS_NUM_THREADS"] == "1"
    assert int(IMAGE.env["DESCENT_LAB_CACHE_MB"]) == kept.DEFAULT_MB  # the image says the default
    assert IMAGE.cmd[:3] == ["streamlit", "run", "app.py"]
    port = int(next(a for a in IMAGE.cmd if a.startswith("--server.port=")).split("=")[1])
    assert IMAGE.expose == [port]
    assert "--server.address=0.0.0.0" in IMAGE.cmd
    assert f"127.0.0.1:{port}/_stcore/health" in " ".join(IMAGE.healthcheck)
    assert IMAGE.workdir == "/app"


def test_the_build_context_leaves_out_what_the_image_does_not_need():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests", "benchmarks", "docs"} <= set(ignored)
