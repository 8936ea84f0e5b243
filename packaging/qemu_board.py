"""The one place that says how QEMU is started for Shyper's emulated board.

Every program of the project that starts qemu-system-aarch64 (the launcher
behind `make run`, the tests, the benchmarks) takes its command from here,
so that the board always has exactly the devices it is given and nothing
QEMU would add on its own. Without -nodefaults, QEMU's `virt` board adds a
PCI network card whose option ROM (efi-virtio.rom) comes from a package the
set-up need not install, plus a monitor and a serial port of its choosing.
"""

QEMU = "qemu-system-aarch64"
CPU = "cortex-a57"

# Options that bring back devices QEMU chooses itself, refused in a command.
_DEFAULT_DEVICE_OPTIONS = ("-nographic", "-net", "-nic", "-vga", "-usb")


def board_command(machine, smp, mem, cpu=CPU):
    """The start of a QEMU command for the board: MACHINE is the -M value.

    The serial port (the console) is multiplexed with QEMU's monitor on
    stdio, as -nographic would do, so Ctrl-A X quits and Ctrl-A C reaches
    the monitor.
    """
    return [QEMU, "-nodefaults", "-M", machine, "-cpu", cpu, "-smp", str(smp), "-m", str(mem),
            "-display", "none", "-serial", "mon:stdio"]


def dtb_dump_command(machine, path, smp, mem, cpu=CPU):
    """A QEMU command that writes the board's device tree to PATH and exits."""
    return [QEMU, "-nodefaults", "-M", "%s,dumpdtb=%s" % (machine, path), "-cpu", cpu,
            "-smp", str(smp), "-m", str(mem), "-display", "none"]


def check_command(cmd):
    """Refuses (ValueError) a QEMU command that lets QEMU add default devices."""
    if not cmd or cmd[0] != QEMU:
        raise ValueError("not a %s command: %r" % (QEMU, cmd[:1]))
    if "-nodefaults" not in cmd:
        raise ValueError("QEMU would add default devices: -nodefaults is missing")
    for option in _DEFAULT_DEVICE_OPTIONS:
        if option in cmd:
            raise ValueError("QEMU option %s adds devices QEMU chooses itself" % option)
    return cmd
