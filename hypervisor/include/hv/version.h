/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's version string. The build writes shyper_version.h (from
 * git describe) and rewrites it only when the version changes, so just the
 * files that print the version are rebuilt. Host test builds pass
 * SHYPER_VERSION on the command line instead.
 */
#ifndef HV_VERSION_H
#define HV_VERSION_H
#if !defined(SHYPER_VERSION) && __has_include(<shyper_version.h>)
#include <shyper_version.h>
#endif
#ifndef SHYPER_VERSION
#define SHYPER_VERSION "0.1.0"
#endif
#endif
