"""`make run` as users script it: SCRIPT=, SMP= and MEM= through make."""

import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_run(tmp_path, script, *variables):
    path = tmp_path / "job.sh"
    path.write_text(script)
    env = dict(os.environ)
    # Run as a user would, not as a child of the `make check` that may run us.
    for name in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES"):
        env.pop(name, None)
    return subprocess.run(
        ["make", "-s", "-C", REPO, "run", "SCRIPT=%s" % path] + list(variables),
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, timeout=600)


def test_make_run_script_success(tmp_path):
    result = make_run(tmp_path, "echo cpus=$(nproc)\ngrep MemTotal /proc/meminfo\nexit 0\n",
                      "SMP=2", "MEM=1G")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "cpus=2" in result.stdout


def test_make_run_script_failure_fails_make(tmp_path):
    result = make_run(tmp_path, "exit 9\n", "SMP=1", "MEM=1G")
    assert result.returncode != 0, result.stdout[-2000:] + result.stderr


def test_make_run_board_and_link(tmp_path):
    """BOARD= and LINK= through make: the script runs on board-3, on the
    link, and the link folder holds its socket while it runs, not after."""
    link = tmp_path / "lab"
    result = make_run(tmp_path, "hostname\nip -4 addr show dev link0\nls /etc/shyper\n",
                      "SMP=2", "MEM=1G", "BOARD=3", "LINK=%s" % link)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "board-3" in result.stdout
    assert "10.99.0.3/24" in result.stdout
    assert "board.crt" in result.stdout
    assert (link / "board-3" / "board.crt").is_file()
    assert not (link / "board-3.sock").exists()
    assert not (link / "board-3.pid").exists()
