"""The class server (deploy/): one nginx template, checked with `nginx -t` as deploy/serve renders
it and as the nginx image's envsubst renders it for deploy/compose.yaml; the compose and
Kubernetes YAML parsed with the fields a class depends on; and deploy/serve end to end — two
workers behind nginx, sticky by cookie, a Streamlit WebSocket session through the proxy, a
killed worker failed over and restarted, and Ctrl-C leaving no process behind.

Without nginx the nginx tests are skipped, unless DESCENT_LAB_REQUIRE_NGINX=1 (set by .ci/run,
which installs it) turns the skip into a failure. Every process started here is stopped, also
when a test fails.
"""

from __future__ import annotations

import contextlib
import http.cookies
import importlib.machinery
import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from websockets.sync.client import connect

from tests.dockerfile import ROOT
from tests.dockerfile import parse as parse_dockerfile

DEPLOY = ROOT / "deploy"
SERVE = DEPLOY / "serve"
TEMPLATE_TEXT = (DEPLOY / "nginx.conf.template").read_text()
HEALTH = "/_stcore/health"


def _load_serve():
    """deploy/serve as a module (it has no .py suffix): its renderer is the one under test."""
    loader = importlib.machinery.SourceFileLoader("deploy_serve", str(SERVE))
    spec = importlib.util.spec_from_loader("deploy_serve", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


serve = _load_serve()
NGINX = serve.find_nginx()


@pytest.fixture(scope="module")
def nginx() -> str:
    if NGINX is not None:
        return NGINX
    if os.environ.get("DESCENT_LAB_REQUIRE_NGINX") == "1":
        pytest.fail("nginx is required here but neither PATH nor /usr/sbin/nginx has it")
    pytest.skip("Debian's nginx is not installed")


def _nginx_t(nginx: str, config: str, run_dir: Path) -> subprocess.CompletedProcess[str]:
    path = run_dir / "nginx.conf"
    path.write_text(config)
    return subprocess.run(
        [nginx, "-t", "-p", str(run_dir), "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def _free_ports(count: int) -> int:
    """A port p with p .. p + count - 1 all free on the loopback address (below the ephemeral
    range, so no outgoing connection takes one meanwhile)."""
    for _ in range(200):
        first = random.randrange(20000, 30000)
        if all(serve.port_is_free("127.0.0.1", first + i) for i in range(count)):
            return first
    raise RuntimeError("no block of free loopback ports")


# The template, and both of its renderers ------------------------------------------------------


def test_the_template_has_four_braced_variables_and_leaves_nginx_variables_alone():
    assert serve.template_variables(TEMPLATE_TEXT) == {
        "LAB_LISTEN",
        "LAB_UPSTREAM",
        "LAB_PID",
        "LAB_TEMP",
    }
    # envsubst also replaces $NAME; the Python renderer only ${NAME}: never write the bare form.
    assert not re.search(r"\$LAB_", TEMPLATE_TEXT)
    assert not re.search(r"\$\{(?!LAB_)", TEMPLATE_TEXT)  # no ${...} that is not ours
    rendered = serve.render(TEMPLATE_TEXT, serve.nginx_values("127.0.0.1:1", ["h:2"], Path("/r")))
    assert not serve.template_variables(rendered) and "listen 127.0.0.1:1;" in rendered
    assert "server h:2 max_fails=1 fail_timeout=5s;" in rendered
    for nginx_variable in ("$request_id", "$cookie_lab_route", "$http_upgrade", "$upstream_addr"):
        assert nginx_variable in rendered
    with pytest.raises(ValueError, match="LAB_TEMP"):
        serve.render(TEMPLATE_TEXT, {"LAB_LISTEN": "1", "LAB_UPSTREAM": "", "LAB_PID": "p"})


def _directives(block: str) -> str:
    """A template's text without its comments."""
    return "\n".join(line.split("#")[0] for line in block.splitlines())


def _location(name: str) -> str:
    body = _directives(TEMPLATE_TEXT)
    match = re.search(r"location = " + re.escape(name) + r" \{(.*?)\}", body, re.S)
    assert match, f"no location {name}"
    return match.group(1)


def test_the_config_routes_by_cookie_upgrades_websockets_and_fails_over():
    body = _directives(TEMPLATE_TEXT)
    # Plain hash: "consistent" would round-robin among the replicas behind compose's one name.
    assert re.search(r"upstream lab_workers \{\s*hash \$route;", body)
    assert "consistent" not in body
    assert re.search(r'""\s+\$request_id;\s*default \$cookie_lab_route;', body)
    assert "add_header Set-Cookie $route_cookie always;" in body
    assert '"lab_route=$request_id; Path=/; HttpOnly; SameSite=Lax"' in body
    assert "proxy_next_upstream error timeout;" in body
    assert serve.SERVER_PARAMS == "max_fails=1 fail_timeout=5s"
    assert "proxy_http_version 1.1;" in body
    assert "proxy_set_header Upgrade $http_upgrade;" in body
    assert "proxy_set_header Connection $connection_upgrade;" in body
    stream = _location("/_stcore/stream")
    assert "proxy_read_timeout 1h;" in stream and "proxy_send_timeout 1h;" in stream
    assert "proxy_pass http://lab_workers;" in _location(HEALTH)


def test_serve_check_runs_nginx_t_on_the_rendered_config(nginx):
    port = _free_ports(4)
    # Through the shebang: deploy/serve is one executable command.
    assert os.access(SERVE, os.X_OK) and SERVE.read_text().startswith("#!/usr/bin/env python3\n")
    done = subprocess.run(
        [str(SERVE), "--check", "--port", str(port), "--workers", "3", "--nginx", nginx],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test is successful" in done.stdout
    printed = subprocess.run(
        [sys.executable, str(SERVE), "--print-config", *f"--port {port} --workers 3".split()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f"listen 0.0.0.0:{port};" in printed.stdout  # the default: the class reaches it
    workers = re.findall(r"server 127\.0\.0\.1:(\d+) max_fails", _directives(printed.stdout))
    assert workers == [str(port + i) for i in (1, 2, 3)]


def _envsubst(text: str, environ: dict[str, str], pattern: str) -> str:
    """The nginx image's 20-envsubst-on-templates.sh: `envsubst "$defined_envs"` with every
    environment name matching NGINX_ENVSUBST_FILTER; envsubst replaces $NAME and ${NAME}.
    The real envsubst (gettext) when installed, else the same rule in Python."""
    names = sorted(n for n in environ if re.search(pattern, n))
    if shutil.which("envsubst"):
        shell_format = " ".join(f"${{{n}}}" for n in names)
        done = subprocess.run(
            ["envsubst", shell_format],
            input=text,
            capture_output=True,
            text=True,
            env=environ,
            check=True,
        )
        return done.stdout
    alternatives = "|".join(map(re.escape, names))
    rule = re.compile(r"\$(?:\{(" + alternatives + r")\}|(" + alternatives + r")\b)")
    return rule.sub(lambda m: environ[m.group(1) or m.group(2)], text)


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_renders_the_same_template_and_nginx_accepts_it(nginx, tmp_path):
    environ = {str(k): str(v) for k, v in _compose()["services"]["nginx"]["environment"].items()}
    # Only the container's own variables plus some that must not leak in (PATH, HOSTNAME).
    environ |= {"PATH": os.environ["PATH"], "HOSTNAME": "nginx-1", "host": "not-nginx's $host"}
    by_envsubst = _envsubst(TEMPLATE_TEXT, environ, environ["NGINX_ENVSUBST_FILTER"])
    lab = {k: v for k, v in environ.items() if k.startswith("LAB_")}
    assert by_envsubst == serve.render(TEMPLATE_TEXT, lab)  # both renderers agree
    assert "$host" not in by_envsubst.replace("$http_host", "")  # nginx's own variables stay
    assert "$http_host" in by_envsubst and not serve.template_variables(by_envsubst)
    # Outside compose's network "app" resolves to nothing, and /run and /var/cache/nginx are
    # the container's: point those at this machine, keep every other line as compose renders it.
    local = (
        by_envsubst.replace("server app:8501", "server 127.0.0.1:8501")
        .replace(f"pid {lab['LAB_PID']};", f"pid {tmp_path}/nginx.pid;")
        .replace(f"{lab['LAB_TEMP']}/", f"{tmp_path}/")
    )
    assert local.count(str(tmp_path)) == 6
    done = _nginx_t(nginx, local, tmp_path)
    assert done.returncode == 0, done.stderr


def test_compose_runs_replicas_behind_nginx_with_healthchecks():
    compose = _compose()
    app, proxy = compose["services"]["app"], compose["services"]["nginx"]
    assert app["build"] == ".." and (DEPLOY / app["build"] / "Dockerfile").is_file()
    assert app["deploy"]["replicas"] >= 2
    assert "ports" not in app  # replicas publish nothing; students come through nginx
    assert app["expose"] == [str(parse_dockerfile().expose[0])]
    assert app["healthcheck"]["test"] == ["CMD", *parse_dockerfile().healthcheck]  # the image's
    assert "http://127.0.0.1:8501/_stcore/health" in " ".join(app["healthcheck"]["test"])
    assert proxy["image"].startswith("nginx:1.27")
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    assert proxy["ports"] == ["8501:8501"]
    mount = "./nginx.conf.template:/etc/nginx/templates/nginx.conf.template:ro"
    assert proxy["volumes"] == [mount] and (DEPLOY / "nginx.conf.template").is_file()
    environ = proxy["environment"]
    assert environ["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"  # → /etc/nginx/nginx.conf
    assert {k for k in environ if k.startswith("LAB_")} == serve.template_variables(TEMPLATE_TEXT)
    assert environ["LAB_UPSTREAM"] == serve.upstream_servers(["app:8501"])  # same failover rule
    assert environ["LAB_LISTEN"] == "8501"


def _manifests() -> dict[str, dict]:
    found = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[doc["kind"]] = doc
    return found


def test_kubernetes_manifests_probe_health_bound_resources_and_keep_sessions_sticky():
    docs = _manifests()
    assert set(docs) == {
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "Kustomization",
    }
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(docs["Kustomization"]["resources"]) == files

    deployment = docs["Deployment"]["spec"]
    assert deployment["replicas"] >= 2
    labels = deployment["template"]["metadata"]["labels"]
    assert deployment["selector"]["matchLabels"] == labels
    (container,) = deployment["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8501}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": HEALTH, "port": "http"}
    assert (
        container["livenessProbe"]["failureThreshold"] * container["livenessProbe"]["periodSeconds"]
        >= 30
    )  # a busy pod is slow, not dead
    assert container["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["OPENBLAS_NUM_THREADS"] == "1" == parse_dockerfile().env["OPENBLAS_NUM_THREADS"]
    assert env["DESCENT_LAB_CACHE_MB"] == parse_dockerfile().env["DESCENT_LAB_CACHE_MB"]
    assert deployment["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert [i["name"] for i in docs["Kustomization"]["images"]] == [container["image"]]

    service = docs["Service"]
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"] == [{"name": "http", "port": 8501, "targetPort": "http"}]

    ingress = docs["Ingress"]
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "affinity-mode"] == "persistent"
    assert notes[prefix + "session-cookie-name"] == "lab_route"
    assert int(notes[prefix + "session-cookie-max-age"]) >= 3600
    assert notes[prefix + "session-cookie-change-on-failure"] == "true"  # failover
    assert notes[prefix + "proxy-read-timeout"] == notes[prefix + "proxy-send-timeout"] == "3600"
    assert ingress["spec"]["ingressClassName"] == "nginx"
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {
        "name": service["metadata"]["name"],
        "port": {"name": "http"},
    }

    hpa = docs["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == docs["Deployment"]["metadata"]["name"]
    assert 1 <= hpa["minReplicas"] <= deployment["replicas"] <= hpa["maxReplicas"]


# deploy/serve's refusals ----------------------------------------------------------------------


def test_serve_says_how_to_install_nginx_when_it_is_missing(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SERVE), "--nginx", str(tmp_path / "nginx")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "nginx is not installed" in done.stderr and "apt-get install nginx" in done.stderr


def test_serve_refuses_a_taken_port_before_starting_anything(nginx):
    port = _free_ports(2)  # the worker's port above it is free: only this one is taken
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        start = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                str(SERVE),
                "--port",
                str(port),
                "--workers",
                "1",
                "--host",
                "127.0.0.1",
                "--nginx",
                nginx,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1
    assert f"port {port} is taken" in done.stderr
    assert time.monotonic() - start < 10 and "starting" not in done.stdout


# deploy/serve end to end ----------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":  # zombies are dead, just not reaped yet
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


class ClassServer:
    """deploy/serve --workers 2 on free loopback ports, its output collected line by line."""

    def __init__(self) -> None:
        self.port = _free_ports(3)
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = [f"127.0.0.1:{self.port + 1}", f"127.0.0.1:{self.port + 2}"]
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(SERVE),
                "--port",
                str(self.port),
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--nginx",
                str(NGINX),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: the finalizer can end all of it
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        self.proc.stdout.close()

    def wait_for(self, pattern: str, seconds: float, after: int = 0) -> re.Match[str]:
        """The first output line from index ``after`` on that matches ``pattern``."""
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    log = "\n".join(self.lines[-40:])
                    raise AssertionError(f"no line matching {pattern!r}; output:\n{log}")
                self._changed.wait(min(left, 0.5))

    def worker_pid(self, address: str) -> int:
        pattern = rf"healthy on http://{re.escape(address)} \(pid (\d+)\)"
        pids = [int(m.group(1)) for line in list(self.lines) if (m := re.search(pattern, line))]
        return pids[-1]

    def stop(self) -> None:
        """SIGINT, then whatever is left of its process group is killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)


@pytest.fixture(scope="module")
def class_server(nginx):
    server = ClassServer()
    try:
        server.wait_for(r"Open http://127\.0\.0\.1:\d+", seconds=120)
        yield server
    finally:
        server.stop()


def _get(url: str, route: str | None = None) -> tuple[int, dict[str, str], list[str]]:
    """(status, headers, Set-Cookie values) of a GET sent with the lab_route cookie if given."""
    request = urllib.request.Request(url)
    if route is not None:
        request.add_header("Cookie", f"lab_route={route}")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response.status, dict(response.headers), response.headers.get_all("Set-Cookie")


def _cookies(set_cookie: list[str] | None) -> dict[str, str]:
    jar = http.cookies.SimpleCookie()
    for value in set_cookie or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


def _route_to(server: ClassServer, worker: str) -> str:
    """A fresh browser's lab_route cookie that nginx hashes to ``worker``."""
    for _ in range(40):
        _, headers, set_cookie = _get(f"{server.url}{HEALTH}")
        if headers["X-Upstream"] == worker:
            return _cookies(set_cookie)["lab_route"]
    raise AssertionError(f"40 new browsers and none reached {worker}")


def test_each_browser_gets_a_route_cookie_and_keeps_to_one_worker(class_server):
    seen = {}
    for _ in range(12):  # twelve browsers: all on one worker has probability 2 ** -11
        status, headers, set_cookie = _get(f"{class_server.url}/")
        assert status == 200
        route = _cookies(set_cookie)["lab_route"]
        assert re.fullmatch(r"[0-9a-f]{32}", route)
        assert "HttpOnly" in next(c for c in set_cookie if c.startswith("lab_route="))
        seen[route] = headers["X-Upstream"]
    assert set(seen.values()) == set(class_server.workers)
    for route, worker in seen.items():
        for path in (HEALTH, "/", "/_stcore/host-config"):
            _, headers, set_cookie = _get(f"{class_server.url}{path}", route)
            assert headers["X-Upstream"] == worker
            assert "lab_route" not in _cookies(set_cookie)  # a browser keeps its first cookie


def _streamlit_session(url: str, route: str) -> tuple[str, list[str]]:
    """Open a Streamlit session through nginx as the browser does: the XSRF cookie from the
    health endpoint, the subprotocol list ["streamlit", <xsrf token>], then rerun_script.
    Returns (the worker nginx chose, the ForwardMsg types up to script_finished)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    _, _, set_cookie = _get(f"{url}{HEALTH}", route)
    xsrf = _cookies(set_cookie)["_streamlit_xsrf"]
    headers = {"Cookie": f"lab_route={route}; _streamlit_xsrf={xsrf}", "Origin": url}
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    types = []
    with connect(
        stream,
        subprotocols=["streamlit", xsrf],
        additional_headers=headers,
        max_size=None,
        open_timeout=10,
    ) as ws:
        assert ws.subprotocol == "streamlit"
        worker = ws.response.headers["X-Upstream"]
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        ws.send(rerun.SerializeToString())
        deadline = time.monotonic() + 30
        while "script_finished" not in types:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            types.append(msg.WhichOneof("type"))
    return worker, types


def test_a_streamlit_session_runs_over_a_websocket_through_nginx(class_server):
    worker = class_server.workers[1]
    route = _route_to(class_server, worker)
    chosen, types = _streamlit_session(class_server.url, route)
    assert chosen == worker  # the WebSocket follows the page's cookie
    assert types[0] == "new_session" and types[-1] == "script_finished"
    assert "delta" in types  # the home page was drawn


def _class_run(server: ClassServer, out: Path, students: int, seconds: float) -> dict:
    """A short lesson for ``students`` through the class server (benchmarks/load.py)."""
    from benchmarks import load

    return load.main(["--url", server.url, "--students", str(students), "--duration",
                      str(seconds), "--ramp", "2", "--think", "1", "--seed", "3",
                      "--json", str(out)])  # fmt: skip


def test_ten_students_through_two_workers_see_no_error(class_server, tmp_path):
    report = _class_run(class_server, tmp_path / "load.json", 10, 12)
    (phase,) = report["phases"]
    o = phase["overall"]
    assert o["errors"] == 0 and o["timeouts"] == 0 and o["unfinished"] == 0, o["error_samples"]
    assert o["not_applied"] == 0 and o["reruns"] >= 10
    per_student = phase["per_student"]
    from benchmarks import load

    assert {s["lesson"] for s in per_student} == {r.path for r in load.LESSONS}
    # nginx spread them over both workers (all ten on one has probability 2 ** -9).
    assert {s["upstreams"][0] for s in per_student} == set(class_server.workers)


def test_a_dead_worker_s_students_reconnect_to_the_same_run_and_the_others_notice_nothing(
    class_server, tmp_path
):
    dead, alive = class_server.workers
    pid = class_server.worker_pid(dead)
    mark = len(class_server.lines)
    # The simulator runs here (it handles signals, so it needs the main thread); the worker
    # dies 8 s in, when every student has opened the page and changed a setting or two. The
    # 18 s after it leave a hit student the frontend's whole back-off (0.25 … 4 s, 7.75 s in
    # all), one more connection and its 3 s settling even on a loaded machine: with 10 s, one
    # student was still reconnecting when the phase ended (load average 12, in CI).
    killer = threading.Timer(8.0, os.kill, (pid, signal.SIGKILL))
    killer.start()
    try:
        result = _class_run(class_server, tmp_path / "failover.json", 10, 26)
    finally:
        killer.cancel()
    (phase,) = result["phases"]
    per_student = phase["per_student"]
    hit = [s for s in per_student if s["upstreams"][0] == dead]
    spared = [s for s in per_student if s["upstreams"][0] == alive]
    assert hit and spared, per_student
    for s in spared:  # the other students notice nothing
        assert s["errors"] == 0 and s["reconnects"] == 0 and len(s["upstreams"]) == 1, s
        assert s["timeouts"] == 0, s
    for s in hit:  # reconnected (to the other worker, or the restarted one) …
        assert len(s["upstreams"]) >= 2 and set(s["error_kinds"]) <= {"disconnected"}, s
        # … to the run in their link. A change on its way when the worker died can be lost
        # (the new session starts from the link, which does not have it yet); every change
        # after the reconnection reached the URL again.
        lost = s["reruns"] - s["applied"]
        assert 0 <= lost <= s["reconnects"] and s["reruns"] >= 1, s
    o = phase["overall"]
    # A hit student's change on its way may wait for the reconnection and a first run on the
    # other worker (its caches cold): at most one slow change each.
    assert all(s["timeouts"] <= 1 for s in hit), hit
    assert set(o["error_kinds"]) <= {"disconnected"}, o["error_samples"]
    class_server.wait_for(rf"worker 1 restarted, healthy on http://{dead}", 60, mark)


def test_a_killed_worker_fails_over_and_is_restarted(class_server):
    dead, alive = class_server.workers
    route = _route_to(class_server, dead)
    pid = class_server.worker_pid(dead)
    mark = len(class_server.lines)
    os.kill(pid, signal.SIGKILL)
    host, port = dead.split(":")
    deadline = time.monotonic() + 5
    while True:  # until its port refuses: the kernel closes it as the process dies
        try:
            socket.create_connection((host, int(port)), timeout=0.2).close()
        except OSError:
            break
        assert time.monotonic() < deadline, "the killed worker still accepts connections"
        time.sleep(0.01)
    # Its student's next request (well before a restarted worker can have started) succeeds:
    status, headers, _ = _get(f"{class_server.url}{HEALTH}", route)
    assert status == 200
    assert headers["X-Upstream"] == f"{dead}, {alive}"  # tried the dead one, answered by the other
    chosen, types = _streamlit_session(class_server.url, route)  # the browser reconnects
    assert chosen == alive and types[-1] == "script_finished"
    # serve saw the exit and restarted it on the same port.
    class_server.wait_for(rf"worker 1 \(pid {pid}\) exited with code -9; restarting", 10, mark)
    restarted = class_server.wait_for(
        rf"worker 1 restarted, healthy on http://{dead} \(pid "
        r"(\d+)\)",
        60,
        mark,
    )
    assert int(restarted.group(1)) != pid
    with urllib.request.urlopen(f"http://{dead}{HEALTH}", timeout=5) as response:
        assert response.status == 200


def test_ctrl_c_stops_nginx_and_every_worker(class_server):
    children = _descendants(class_server.proc.pid)
    assert len(children) >= 4  # two workers, nginx's master and its worker
    class_server.proc.send_signal(signal.SIGINT)
    assert class_server.proc.wait(timeout=20) == 0
    deadline = time.monotonic() + 5
    while children & _alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not children & _alive(children)
    for port in [class_server.port, *(int(w.split(":")[1]) for w in class_server.workers)]:
        assert serve.port_is_free("127.0.0.1", port)
    class_server.wait_for(r"serve +\| stopped", 1)


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            alive.add(pid)
    return alive
