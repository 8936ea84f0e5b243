/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Converting a state area of an older layout version to this image's at a
 * live update (core/state_convert.c, docs/state-area.md).
 *
 * Each layout is known by its description (tools/state-layout.py: every
 * field of every record, by name, offset, size and array bounds), this
 * image's from its own build and older ones as recorded when they were
 * current. A conversion lays out a fresh area of our layout elsewhere and
 * fills it field by field, matching fields by name: a field both layouts
 * have is copied (element by element for arrays, record by record inside);
 * a field only we have starts at zero, and the fix-ups for that version
 * give it its value; a field only the old layout had is dropped. The old
 * area is only read, so a failed hand-over can give it back untouched.
 */
#ifndef HV_STATE_CONVERT_H
#define HV_STATE_CONVERT_H

#include <hv/types.h>

struct state_layout_record {
	uint32_t version;
	uint64_t fingerprint;     /* HV_STATE_LAYOUT of that version */
	const char *description;  /* tools/state-layout.py --describe */
};

enum state_convert_result {
	CONVERT_OK = 0,
	CONVERT_UNKNOWN_VERSION,   /* no description of the area's version here */
	CONVERT_LAYOUT_MISMATCH,   /* the area's fingerprint is not that version's */
	CONVERT_BAD_DESCRIPTION,   /* a description did not parse: a build error */
	CONVERT_SIZE_MISMATCH,     /* the area's size is not its description's */
	CONVERT_NO_ROOM,           /* our layout does not fit where it would go */
};

/* Lay out a fresh area of our layout at DST (DST_ROOM bytes) from the area
 * at SRC (SRC_ROOM bytes), of an older version this image knows. */
enum state_convert_result state_convert(void *dst, uint64_t dst_room, const void *src,
					uint64_t src_room);
const char *state_convert_result_name(enum state_convert_result r);

/* The engine, for any two descriptions of one record: fill DST (zeroed by
 * the caller, laid out as DST_DESC) from SRC (laid out as SRC_DESC). */
enum state_convert_result layout_convert(void *dst, uint64_t dst_size, const char *dst_desc,
					 const void *src, uint64_t src_size, const char *src_desc);

#endif
