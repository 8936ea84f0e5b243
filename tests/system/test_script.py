"""shyper-board --script: the script's exit status and output come back."""

from conftest import USER_SPACE_LINE, run_board_script

BOARD_FAILED = 125


def test_script_exit_zero():
    result = run_board_script("exit 0\n", "--smp", "2", "--mem", "1G")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def test_script_exit_status_passed_through():
    result = run_board_script("exit 42\n", "--smp", "2", "--mem", "1G")
    assert result.returncode == 42, result.stdout[-2000:] + result.stderr


def test_script_output_on_stdout():
    result = run_board_script(
        "echo script-says-hello\nuname -m\necho to-stderr >&2\nexit 3\n",
        "--smp", "1", "--mem", "1G")
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr
    assert USER_SPACE_LINE in result.stdout
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "script-says-hello" in lines
    assert "aarch64" in lines
    assert "to-stderr" in lines


def test_board_failure_without_status_line():
    # Powering off from the script skips /init's status report.
    result = run_board_script("poweroff -f\n", "--smp", "1", "--mem", "1G")
    assert result.returncode == BOARD_FAILED, result.stdout[-2000:] + result.stderr
    assert "shyper-board:" in result.stderr


def test_board_timeout():
    result = run_board_script("sleep 600\n", "--smp", "1", "--mem", "1G",
                              "--timeout", "20")
    assert result.returncode == BOARD_FAILED, result.stdout[-2000:] + result.stderr
    assert "timed out" in result.stderr


def test_extra_disk_is_a_writable_disk_of_the_mvm(tmp_path):
    """--disk FILE: a raw image the MVM sees as a virtio disk it can write."""
    image = tmp_path / "scratch.img"
    image.write_bytes(b"SCRATCH-" + b"\0" * (1024 * 1024 - 8))
    script = ("for d in /dev/vd?; do\n"
              "  if [ \"$(head -c 8 $d)\" = SCRATCH- ]; then\n"
              "    printf WRITTEN-BY-MVM | dd of=$d bs=512 seek=1 conv=notrunc 2>/dev/null\n"
              "    sync; exit 0\n"
              "  fi\n"
              "done\n"
              "exit 3\n")
    result = run_board_script(script, "--smp", "1", "--mem", "1G", "--disk", str(image))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert image.read_bytes()[512:526] == b"WRITTEN-BY-MVM"


def test_extra_disk_must_exist(tmp_path):
    result = run_board_script("exit 0\n", "--disk", str(tmp_path / "missing.img"))
    assert result.returncode == 2, result.stderr
    assert "missing.img" in result.stderr and "not found" in result.stderr
