// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * shyperctl: manages the Shyper hypervisor from the MVM. Everything is in
 * shyperctl_main() (cli.c), which the host unit tests call directly.
 */
#include "shyperctl.h"

int main(int argc, char **argv)
{
	return shyperctl_main(argc, argv, stdout, stderr);
}
