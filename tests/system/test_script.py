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
