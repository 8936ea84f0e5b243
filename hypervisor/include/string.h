/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding string functions. The hypervisor links no C library; this
 * header (and lib/string.c) provide what our code and libfdt need.
 */
#ifndef SHYPER_STRING_H
#define SHYPER_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);

#endif
