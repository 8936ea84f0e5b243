/* SPDX-License-Identifier: GPL-2.0 */
/* Reading the board's device tree (see core/board.c). */
#ifndef HV_BOARD_H
#define HV_BOARD_H

#include <hv/state.h>

/*
 * Fill b from the flattened device tree fdt. Returns 0, or -1 with a
 * reason in err (a short sentence) when the board cannot be run.
 */
int board_parse(const void *fdt, struct board_info *b, char *err, size_t err_len);
/* Read entry idx of a node's reg property, in its parent's cell sizes. */
bool fdt_read_reg(const void *fdt, int node, int idx, uint64_t *addr, uint64_t *size);

#endif
