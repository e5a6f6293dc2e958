"""`make lab`: JupyterLab starts on the project's environment, lists the step notebooks, and a notebook's kernel
runs in the project's root with the environment `make report` gives its steps; then the server stops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest

from helpers import REPO

TOKEN = uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    req = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def post(url: str, body: dict):
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def execute(port: int, kernel_id: str, code: str) -> str:
    """Run ``code`` in the kernel over the server's websocket; its stdout."""
    import websocket

    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}", timeout=60
    )
    try:
        msg_id = uuid.uuid4().hex
        ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                    },
                }
            )
        )
        out = []
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        ws.close()


@pytest.fixture(scope="module")
def lab():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.Popen(
        [
            "make",
            "--no-print-directory",
            "lab",
            f"LAB_ARGS=--port={port} --ServerApp.port_retries=0 --IdentityProvider.token={TOKEN}",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if proc.poll() is not None:
                pytest.fail(f"make lab exited: {proc.stdout.read()[-3000:]}")
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        yield base, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with pytest.raises(OSError):  # stopped: nothing answers on the port any more
        get(f"{base}/api/status")


def test_lab_lists_the_step_notebooks(lab):
    base, _ = lab
    listing = get(f"{base}/api/contents/notebooks")
    names = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb")) and len(names) == 5


def test_a_notebooks_kernel_runs_in_the_project_root_with_the_steps_environment(lab):
    base, port = lab
    session = post(
        f"{base}/api/sessions",
        {
            "path": "notebooks/03_scores.ipynb",
            "type": "notebook",
            "name": "03_scores.ipynb",
            "kernel": {"name": "python3"},
        },
    )
    try:
        out = execute(
            port,
            session["kernel"]["id"],
            "import os, sys, tqa\n"
            "print(os.getcwd()); print(sys.prefix); print(tqa.__file__)\n"
            "print(os.environ.get('PYTHONHASHSEED'), os.environ.get('OPENBLAS_NUM_THREADS'))\n"
            "from tqa.run.dag import step_params\n"
            "print(step_params('2023-2', 'scores').reporting.min_rank_n)\n",
        )
    finally:
        req = urllib.request.Request(
            f"{base}/api/sessions/{session['id']}", method="DELETE", headers={"Authorization": f"token {TOKEN}"}
        )
        urllib.request.urlopen(req, timeout=30).close()
    cwd, prefix, package, seeds, min_rank_n = out.strip().splitlines()
    assert cwd == str(REPO)
    assert prefix == str(REPO / ".venv") and package.startswith(str(REPO / "src"))
    assert seeds == "0 1" and min_rank_n == "30"
