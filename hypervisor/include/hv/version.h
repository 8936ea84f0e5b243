/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HV_VERSION_H
#define HV_VERSION_H
#ifndef SHYPER_VERSION
#define SHYPER_VERSION "0.1.0"
#endif
#endif
