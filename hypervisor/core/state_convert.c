// SPDX-License-Identifier: GPL-2.0
/*
 * State layout conversion at a live update (hv/state_convert.h).
 *
 * The descriptions come from tools/state-layout.py, which writes a type as
 *
 *   bN | eN | pN            N bytes (a base type, an enum, a pointer)
 *   a[D1][D2]...TYPE        an array of TYPE (nested arrays add bounds)
 *   sN{MEMBER,MEMBER,...}   a record of N bytes
 *   uN{...}                 a union of N bytes (copied as bytes)
 *   MEMBER = NAME@OFFSET:TYPE
 *
 * They are parsed into trees of nodes (one per member), and the new tree is
 * walked, each member looked up by name in the old one. Descriptions are
 * part of the image (ours, and the recorded ones it was built with), not
 * input from outside; still, every number is bounded and every copy is
 * checked against both records before it is made.
 */
#include <hv/state.h>
#include <hv/state_convert.h>
#include <string.h>
#include <state_layouts.h> /* generated: state_layouts[] */

#define MAX_DIMS 3
#define MAX_NODES 1024 /* per tree; hv_state has a few hundred members */
#define MAX_DEPTH 16

struct lnode {
	const char *name;
	uint32_t name_len;
	uint32_t offset;            /* in its record */
	uint32_t dims[MAX_DIMS];    /* array bounds, outermost first */
	uint32_t ndims;
	uint64_t elem_size;         /* bytes of one element */
	uint32_t first, count;      /* members, if an element is a record */
	bool record;
};

struct tree {
	struct lnode nodes[MAX_NODES];
	uint32_t used;
	bool bad;
};

static struct tree trees[2];

static uint64_t number(const char **p, struct tree *t)
{
	uint64_t v = 0;

	if (**p < '0' || **p > '9')
		t->bad = true;
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (uint64_t)(**p - '0');
		if (v > (1ULL << 40))
			t->bad = true;
		(*p)++;
	}
	return v;
}

static bool eat(const char **p, char c, struct tree *t)
{
	if (**p != c) {
		t->bad = true;
		return false;
	}
	(*p)++;
	return true;
}

/* Past one balanced {...}. */
static void skip_braces(const char **p, struct tree *t)
{
	unsigned depth = 0;

	do {
		if (!**p) {
			t->bad = true;
			return;
		}
		if (**p == '{')
			depth++;
		else if (**p == '}')
			depth--;
		(*p)++;
	} while (depth);
}

/* Members directly inside the record whose '{' p points at. */
static uint32_t count_members(const char *p, struct tree *t)
{
	uint32_t n = 0;
	unsigned depth = 0;

	for (; *p; p++) {
		if (*p == '{') {
			if (++depth == 1 && p[1] != '}')
				n = 1;
		} else if (*p == '}') {
			if (--depth == 0)
				return n;
		} else if (*p == ',' && depth == 1) {
			n++;
		}
	}
	t->bad = true;
	return 0;
}

static void parse_type(const char **p, struct lnode *n, struct tree *t, unsigned depth);

static void parse_member(const char **p, struct lnode *n, struct tree *t, unsigned depth)
{
	n->name = *p;
	while (**p && **p != '@')
		(*p)++;
	n->name_len = (uint32_t)(*p - n->name);
	if (!eat(p, '@', t))
		return;
	n->offset = (uint32_t)number(p, t);
	if (**p == '/') { /* a bit-field: not in the state area, not converted */
		t->bad = true;
		return;
	}
	if (eat(p, ':', t))
		parse_type(p, n, t, depth + 1);
}

static void parse_type(const char **p, struct lnode *n, struct tree *t, unsigned depth)
{
	if (t->bad || depth > MAX_DEPTH) {
		t->bad = true;
		return;
	}
	switch (**p) {
	case 'a':
		(*p)++;
		while (**p == '[') {
			(*p)++;
			if (n->ndims == MAX_DIMS) {
				t->bad = true;
				return;
			}
			n->dims[n->ndims++] = (uint32_t)number(p, t);
			eat(p, ']', t);
		}
		parse_type(p, n, t, depth + 1);
		return;
	case 'b':
	case 'e':
	case 'p':
		(*p)++;
		n->elem_size = number(p, t);
		return;
	case 'u':
		(*p)++;
		n->elem_size = number(p, t);
		skip_braces(p, t);
		return;
	case 's': {
		uint32_t count;

		(*p)++;
		n->elem_size = number(p, t);
		if (**p != '{') {
			t->bad = true;
			return;
		}
		count = count_members(*p, t);
		if (t->bad || count > MAX_NODES - t->used) {
			t->bad = true;
			return;
		}
		n->record = true;
		n->first = t->used;
		n->count = count;
		t->used += count;
		(*p)++;
		for (uint32_t i = 0; i < count && !t->bad; i++) {
			struct lnode *m = &t->nodes[n->first + i];

			memset(m, 0, sizeof(*m));
			parse_member(p, m, t, depth);
			if (i + 1 < count)
				eat(p, ',', t);
		}
		eat(p, '}', t);
		return;
	}
	default:
		if (!strncmp(*p, "void", 4)) {
			*p += 4;
			n->elem_size = 0;
			return;
		}
		t->bad = true;
	}
}

/* The whole description: one record. Returns its node, or NULL. */
static struct lnode *parse(struct tree *t, const char *desc)
{
	const char *p = desc;
	struct lnode *root = &t->nodes[0];

	memset(root, 0, sizeof(*root));
	t->used = 1;
	t->bad = false;
	parse_type(&p, root, t, 0);
	if (t->bad || *p || !root->record || root->ndims)
		return NULL;
	return root;
}

/* Bytes of the whole member: every element. */
static uint64_t member_size(const struct lnode *n)
{
	uint64_t size = n->elem_size;

	for (uint32_t d = 0; d < n->ndims; d++)
		size *= n->dims[d];
	return size;
}

/* Every member must lie inside its record, members' records inside theirs. */
static bool sane(const struct tree *t, const struct lnode *rec, unsigned depth)
{
	if (depth > MAX_DEPTH)
		return false;
	for (uint32_t i = 0; i < rec->count; i++) {
		const struct lnode *m = &t->nodes[rec->first + i];

		if (m->offset > rec->elem_size || member_size(m) > rec->elem_size - m->offset)
			return false;
		if (m->record && !sane(t, m, depth + 1))
			return false;
	}
	return true;
}

/* The member of OLD_REC matching M by name (the k-th unnamed for the k-th). */
static const struct lnode *find(const struct tree *ot, const struct lnode *old_rec,
				const struct tree *nt, const struct lnode *new_rec, const struct lnode *m)
{
	uint32_t unnamed = 0;

	if (!m->name_len) {
		for (const struct lnode *x = &nt->nodes[new_rec->first]; x != m; x++)
			unnamed += !x->name_len;
	}
	for (uint32_t i = 0; i < old_rec->count; i++) {
		const struct lnode *o = &ot->nodes[old_rec->first + i];

		if (o->name_len != m->name_len)
			continue;
		if (m->name_len ? !memcmp(o->name, m->name, m->name_len) : unnamed-- == 0)
			return o;
	}
	return NULL;
}

static void convert_record(const struct tree *nt, const struct lnode *nr, uint8_t *dst,
			   const struct tree *ot, const struct lnode *orec, const uint8_t *src);

/*
 * A record that only wraps one value (typedef struct { uint64_t pa; } paddr_t)
 * is that value: a field that became typed, or stopped being, keeps it.
 */
static const struct lnode *unwrap(const struct tree *t, const struct lnode *n)
{
	for (unsigned depth = 0; n->record && n->count == 1 && depth < MAX_DEPTH; depth++) {
		const struct lnode *m = &t->nodes[n->first];

		if (m->offset || m->ndims || m->elem_size != n->elem_size)
			break;
		n = m;
	}
	return n;
}

/* One element of a member: a record, or bytes (a wrapped value is bytes). */
static void convert_element(const struct tree *nt, const struct lnode *n, uint8_t *dst,
			    const struct tree *ot, const struct lnode *o, const uint8_t *src)
{
	if (n->record != o->record) {
		n = unwrap(nt, n);
		o = unwrap(ot, o);
	}
	if (n->record && o->record)
		convert_record(nt, n, dst, ot, o, src);
	else if (!n->record && !o->record)
		memcpy(dst, src, MIN(n->elem_size, o->elem_size)); /* little-endian widening */
}

/*
 * Records that a layout version made by grouping members of their parent:
 * what a new image finds missing by that name in an older layout, it fills
 * from the parent's members of the same names.
 */
static const struct {
	const char *parent, *member;
} groupings[] = {
	{ "vms", "board" }, /* layout 6: what binds a VM to its board */
};

static bool same_name(const struct lnode *n, const char *name)
{
	return n->name_len == strlen(name) && !memcmp(n->name, name, n->name_len);
}

static bool grouped(const struct lnode *parent, const struct lnode *m)
{
	for (unsigned i = 0; i < ARRAY_SIZE(groupings); i++)
		if (same_name(parent, groupings[i].parent) && same_name(m, groupings[i].member))
			return true;
	return false;
}

/* Elements [0, min bound) along dimension D on, recursively. */
static void convert_dims(const struct tree *nt, const struct lnode *n, uint8_t *dst,
			 const struct tree *ot, const struct lnode *o, const uint8_t *src, uint32_t d)
{
	uint64_t nstride = n->elem_size, ostride = o->elem_size;

	if (d == n->ndims) {
		convert_element(nt, n, dst, ot, o, src);
		return;
	}
	for (uint32_t k = d + 1; k < n->ndims; k++) {
		nstride *= n->dims[k];
		ostride *= o->dims[k];
	}
	for (uint32_t i = 0; i < MIN(n->dims[d], o->dims[d]); i++)
		convert_dims(nt, n, dst + i * nstride, ot, o, src + i * ostride, d + 1);
}

static void convert_record(const struct tree *nt, const struct lnode *nr, uint8_t *dst,
			   const struct tree *ot, const struct lnode *orec, const uint8_t *src)
{
	for (uint32_t i = 0; i < nr->count; i++) {
		const struct lnode *n = &nt->nodes[nr->first + i];
		const struct lnode *o = find(ot, orec, nt, nr, n);

		if (!o && n->record && !n->ndims && grouped(nr, n)) {
			convert_record(nt, n, dst + n->offset, ot, orec, src);
			continue;
		}
		if (!o) {
			/* Back from a grouping: the older layout has it one level down. */
			for (uint32_t k = 0; k < orec->count && !o; k++) {
				const struct lnode *g = &ot->nodes[orec->first + k];

				if (g->record && !g->ndims && grouped(orec, g)) {
					o = find(ot, g, nt, nr, n);
					if (o && o->ndims == n->ndims)
						convert_dims(nt, n, dst + n->offset, ot, o,
							     src + g->offset + o->offset, 0);
				}
			}
			continue;
		}
		/* New here: stays zero. Reshaped (another number of bounds): too. */
		if (!o || o->ndims != n->ndims)
			continue;
		convert_dims(nt, n, dst + n->offset, ot, o, src + o->offset, 0);
	}
}

/* The trees are static (too big for a stack): one conversion at a time. */
static struct spinlock convert_lock;

static enum state_convert_result convert_locked(void *dst, uint64_t dst_size, const char *dst_desc,
						const void *src, uint64_t src_size,
						const char *src_desc)
{
	const struct lnode *nr = parse(&trees[0], dst_desc);
	const struct lnode *orec = parse(&trees[1], src_desc);

	if (!nr || !orec || !sane(&trees[0], nr, 0) || !sane(&trees[1], orec, 0))
		return CONVERT_BAD_DESCRIPTION;
	if (orec->elem_size != src_size)
		return CONVERT_SIZE_MISMATCH;
	if (nr->elem_size > dst_size)
		return CONVERT_NO_ROOM;
	convert_record(&trees[0], nr, dst, &trees[1], orec, src);
	return CONVERT_OK;
}

enum state_convert_result layout_convert(void *dst, uint64_t dst_size, const char *dst_desc,
					 const void *src, uint64_t src_size, const char *src_desc)
{
	enum state_convert_result r;

	spin_lock(&convert_lock);
	r = convert_locked(dst, dst_size, dst_desc, src, src_size, src_desc);
	spin_unlock(&convert_lock);
	return r;
}

/*
 * What a field new in a layout starts as, when zero is not right. Each
 * version that needs one says so here, for areas converted from before it.
 */
static void fixups(struct hv_state *s, uint32_t from)
{
#ifdef SHYPER_STATE_TEST_NEXT
	/* Layout 8 (a test build): a marker in every vCPU, and where we came from. */
	for (unsigned v = 0; v < MAX_VMS; v++)
		for (unsigned c = 0; c < MAX_VCPUS; c++)
			s->vms[v].vcpus[c].test_marker = 0x5ade0000ULL | v << 8 | c;
	s->test_converted_from = from;
#else
	(void)s;
	(void)from;
#endif
}

enum state_convert_result state_convert(void *dst, uint64_t dst_room, const void *src,
					uint64_t src_room)
{
	const struct hv_state *old = src;
	const struct state_layout_record *ours = &state_layouts[ARRAY_SIZE(state_layouts) - 1];
	const struct state_layout_record *theirs = NULL;
	struct hv_state *s = dst;
	enum state_convert_result r;

	if (src_room < __builtin_offsetof(struct hv_state, vm_size))
		return CONVERT_SIZE_MISMATCH;
	for (unsigned i = 0; i + 1 < ARRAY_SIZE(state_layouts); i++)
		if (state_layouts[i].version == old->version)
			theirs = &state_layouts[i];
	if (!theirs)
		return CONVERT_UNKNOWN_VERSION;
	if (old->layout != theirs->fingerprint)
		return CONVERT_LAYOUT_MISMATCH;
	if (old->size > src_room)
		return CONVERT_SIZE_MISMATCH;
	if (sizeof(*s) > dst_room)
		return CONVERT_NO_ROOM;
	memset(s, 0, sizeof(*s));
	r = layout_convert(s, sizeof(*s), ours->description, old, old->size, theirs->description);
	if (r != CONVERT_OK)
		return r;
	state_header_init(s);
	fixups(s, old->version);
	return CONVERT_OK;
}

const char *state_convert_result_name(enum state_convert_result r)
{
	switch (r) {
	case CONVERT_OK:
		return "converted";
	case CONVERT_UNKNOWN_VERSION:
		return "no description of its layout version in this image";
	case CONVERT_LAYOUT_MISMATCH:
		return "its layout is not the one recorded for its version";
	case CONVERT_BAD_DESCRIPTION:
		return "a layout description does not parse (a build error)";
	case CONVERT_SIZE_MISMATCH:
		return "its size is not its layout's";
	case CONVERT_NO_ROOM:
		return "no room for the converted area";
	}
	return "?";
}
