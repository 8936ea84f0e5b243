// SPDX-License-Identifier: GPL-2.0
/*
 * Just enough of a flattened device tree reader for the test guest: find a
 * node by path, read its properties, list children of a device_type. The
 * guest runs with its MMU off (Device memory, strict alignment), so every
 * multi-byte value is read a byte at a time; every offset is checked
 * against the blob's own sizes, so a broken tree gives "not found", never
 * a stray access.
 */
#include "testguest.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

#define FDT_MAX_DEPTH 16
#define FDT_MAX_PATH_COMPONENTS 8

struct fdt_reader {
	const uint8_t *blob;
	uint32_t struct_off, struct_end;
	uint32_t strings_off, strings_size;
};

static uint32_t read_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t fdt_read_cells(const uint8_t *data, unsigned int cells)
{
	uint64_t value = 0;

	while (cells--) {
		value = value << 32 | read_be32(data);
		data += 4;
	}
	return value;
}

uint32_t fdt_blob_size(const void *blob)
{
	const uint8_t *b = blob;
	uint32_t total;

	if (!b || (uintptr_t)b & 3 || read_be32(b) != FDT_MAGIC)
		return 0;
	total = read_be32(b + 4);
	return total >= 40 ? total : 0;
}

static bool reader_init(struct fdt_reader *r, const void *blob)
{
	uint32_t total = fdt_blob_size(blob);

	if (!total)
		return false;
	r->blob = blob;
	r->struct_off = read_be32(r->blob + 8);
	r->struct_end = r->struct_off + read_be32(r->blob + 36);
	r->strings_off = read_be32(r->blob + 12);
	r->strings_size = read_be32(r->blob + 32);
	return r->struct_end <= total && r->struct_off < r->struct_end &&
	       r->strings_off + r->strings_size <= total;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Does node NAME ("cpu@1") match path component COMP of LEN bytes? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	size_t i;
	bool has_unit = false;

	for (i = 0; i < len; i++) {
		if (name[i] != comp[i])
			return false;
		if (comp[i] == '@')
			has_unit = true;
	}
	return name[len] == '\0' || (!has_unit && name[len] == '@');
}

/* The next token at *POS (4-aligned); for BEGIN_NODE *NAME, for PROP *PROP
 * and *PROP_NAME are set. Advances *POS. Returns FDT_END at any error. */
static uint32_t next_token(const struct fdt_reader *r, uint32_t *pos, const char **name,
			   struct fdt_prop *prop, const char **prop_name)
{
	uint32_t token, len, nameoff;

	if (*pos + 4 > r->struct_end)
		return FDT_END;
	token = read_be32(r->blob + *pos);
	*pos += 4;
	switch (token) {
	case FDT_BEGIN_NODE:
		*name = (const char *)r->blob + *pos;
		while (*pos < r->struct_end && r->blob[*pos])
			(*pos)++;
		*pos = (*pos + 1 + 3) & ~3U;
		return *pos <= r->struct_end ? token : FDT_END;
	case FDT_PROP:
		if (*pos + 8 > r->struct_end)
			return FDT_END;
		len = read_be32(r->blob + *pos);
		nameoff = read_be32(r->blob + *pos + 4);
		*pos += 8;
		if (len > r->struct_end - *pos || nameoff >= r->strings_size)
			return FDT_END;
		prop->data = r->blob + *pos;
		prop->len = len;
		*prop_name = (const char *)r->blob + r->strings_off + nameoff;
		*pos = (*pos + len + 3) & ~3U;
		return token;
	case FDT_END_NODE:
	case FDT_NOP:
		return token;
	default:
		return FDT_END;
	}
}

/* Finds the node at PATH; on success *POS is just after its name. */
static bool find_node(const struct fdt_reader *r, const char *path, uint32_t *pos)
{
	const char *comp[FDT_MAX_PATH_COMPONENTS];
	size_t comp_len[FDT_MAX_PATH_COMPONENTS];
	unsigned int ncomp = 0, depth = 0, matched = 0;
	const char *name, *prop_name;
	struct fdt_prop prop;
	uint32_t token;

	while (*path) {
		while (*path == '/')
			path++;
		if (!*path)
			break;
		if (ncomp == FDT_MAX_PATH_COMPONENTS)
			return false;
		comp[ncomp] = path;
		while (*path && *path != '/')
			path++;
		comp_len[ncomp] = (size_t)(path - comp[ncomp]);
		ncomp++;
	}

	*pos = r->struct_off;
	for (;;) {
		token = next_token(r, pos, &name, &prop, &prop_name);
		if (token == FDT_END)
			return false;
		if (token == FDT_BEGIN_NODE) {
			depth++;
			/* The root (depth 1) matches an empty path; a node at depth
			 * d > 1 matches component d - 2 when its parent matched. */
			if (depth >= 2 && matched == depth - 2 && depth - 2 < ncomp &&
			    name_matches(name, comp[depth - 2], comp_len[depth - 2]))
				matched = depth - 1;
			if (matched == ncomp && depth == ncomp + 1)
				return true;
		} else if (token == FDT_END_NODE) {
			if (depth == 0)
				return false;
			if (matched == depth - 1 && matched > 0)
				matched--;
			depth--;
		}
	}
}

bool fdt_find_property(const void *blob, const char *path, const char *name,
		       struct fdt_prop *prop)
{
	struct fdt_reader r;
	const char *node_name, *prop_name;
	uint32_t pos, token;

	if (!reader_init(&r, blob) || !find_node(&r, path, &pos))
		return false;
	/* A node's properties come before its children. */
	for (;;) {
		token = next_token(&r, &pos, &node_name, prop, &prop_name);
		if (token == FDT_PROP && str_eq(prop_name, name))
			return true;
		if (token != FDT_PROP && token != FDT_NOP)
			return false;
	}
}

unsigned int fdt_for_each_child(const void *blob, const char *path, const char *device_type,
				fdt_child_fn fn, void *arg)
{
	struct fdt_reader r;
	struct fdt_prop prop, reg = { 0 };
	const char *name, *prop_name;
	unsigned int depth = 0, count = 0;
	bool type_matches = false, in_props = false;
	uint32_t pos, token;

	if (!reader_init(&r, blob) || !find_node(&r, path, &pos))
		return 0;
	/* depth 0: the node itself; 1: a child; deeper: skipped. */
	for (;;) {
		token = next_token(&r, &pos, &name, &prop, &prop_name);
		if (token == FDT_END)
			return count;
		if (in_props && token != FDT_PROP && token != FDT_NOP) {
			/* The child's properties are over: report it. */
			in_props = false;
			if (type_matches) {
				fn(&reg, arg);
				count++;
			}
		}
		if (token == FDT_BEGIN_NODE) {
			if (++depth == 1) {
				in_props = true;
				type_matches = false;
				reg = (struct fdt_prop){ 0 };
			}
			if (depth > FDT_MAX_DEPTH)
				return count;
		} else if (token == FDT_END_NODE) {
			if (depth == 0)
				return count;
			depth--;
		} else if (token == FDT_PROP && in_props && depth == 1) {
			if (str_eq(prop_name, "device_type"))
				type_matches = prop.len > 0 && prop.data[prop.len - 1] == '\0' &&
					       str_eq((const char *)prop.data, device_type);
			else if (str_eq(prop_name, "reg"))
				reg = prop;
		}
	}
}
