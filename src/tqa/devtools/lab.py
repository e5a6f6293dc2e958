"""JupyterLab on the project's environment, for the analyst (``make lab``).

A notebook opened in JupyterLab gets a kernel whose working directory is the notebook's folder (notebooks/), while
the steps read data/, params/ and checks/ relative to the project's root, as `make report` runs them. So the
kernels started here begin with a chdir to the project's root (an IPython startup file in a profile of the
project's own, under .venv/, used only by this server), and inherit the environment the Makefile gives every step
(fixed hash seed, one BLAS thread, SOURCE_DATE_EPOCH): a step's notebook run here gives the results
`make report` gives.

    python -m tqa.devtools.lab [--port 8888] [jupyter lab options...]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STARTUP = """\
# Written by tqa.devtools.lab: kernels of `make lab` run in the project's root, as `make report` runs the steps.
import os as _os

_os.chdir(_os.environ["TQA_PROJECT_ROOT"])
del _os
"""


def prepare(root: Path) -> dict[str, str]:
    """Write the kernels' startup file; the environment variables the server (and so its kernels) needs."""
    ipython_dir = root / ".venv" / "ipython-lab"
    startup = ipython_dir / "profile_default" / "startup" / "00-project-root.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    if not startup.exists() or startup.read_text(encoding="utf-8") != STARTUP:
        startup.write_text(STARTUP, encoding="utf-8")
    return {"TQA_PROJECT_ROOT": str(root), "IPYTHONDIR": str(ipython_dir)}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    root = Path.cwd().resolve()
    if not (root / "notebooks").is_dir() or not (root / "params").is_dir():
        print("请在项目根目录（含 notebooks/ 与 params/ 的目录）运行 make lab", file=sys.stderr)
        return 2
    env = {**os.environ, **prepare(root)}
    args = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}", "--no-browser", *argv]
    if os.geteuid() == 0:  # containers and this project's CI machines run as root; Jupyter refuses that unasked
        args.append("--allow-root")
    print("==> JupyterLab：在浏览器中打开下面显示的地址（含 token），打开 notebooks/ 中的某一步；按 Ctrl+C 停止。")
    os.execve(sys.executable, args, env)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
