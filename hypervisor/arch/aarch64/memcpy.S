/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memcpy for the hypervisor. It carries every mediated virtio request
 * between a guest's memory and the MVM's, so it moves 64 bytes per loop
 * with load/store pairs: under emulation each instruction costs, and a
 * plain C loop spends five of them on every 8 bytes.
 *
 * The image is built with -mstrict-align (some of it runs before the MMU
 * is on), so the pairs are used only when source and destination agree
 * modulo 8: a few bytes first bring both to an 8-byte boundary. Anything
 * else is copied a byte at a time. The areas must not overlap.
 *
 * void *memcpy(void *dst, const void *src, size_t n)
 */
	.text
	.global	memcpy
	.type	memcpy, %function
memcpy:
	mov	x3, x0			/* x3: where the next byte goes */
	eor	x4, x0, x1
	tst	x4, #7
	b.ne	.Lbytes			/* never both aligned: byte by byte */
.Lhead:
	tst	x3, #7
	b.eq	.Laligned
	cbz	x2, .Ldone
	ldrb	w4, [x1], #1
	strb	w4, [x3], #1
	sub	x2, x2, #1
	b	.Lhead
.Laligned:
	cmp	x2, #64
	b.lo	.Lwords
.Lblock:
	ldp	x4, x5, [x1]
	ldp	x6, x7, [x1, #16]
	ldp	x8, x9, [x1, #32]
	ldp	x10, x11, [x1, #48]
	add	x1, x1, #64
	sub	x2, x2, #64
	stp	x4, x5, [x3]
	stp	x6, x7, [x3, #16]
	stp	x8, x9, [x3, #32]
	stp	x10, x11, [x3, #48]
	add	x3, x3, #64
	cmp	x2, #64
	b.hs	.Lblock
.Lwords:
	cmp	x2, #8
	b.lo	.Lbytes
	ldr	x4, [x1], #8
	str	x4, [x3], #8
	sub	x2, x2, #8
	b	.Lwords
.Lbytes:
	cbz	x2, .Ldone
	ldrb	w4, [x1], #1
	strb	w4, [x3], #1
	sub	x2, x2, #1
	b	.Lbytes
.Ldone:
	ret
	.size	memcpy, . - memcpy
