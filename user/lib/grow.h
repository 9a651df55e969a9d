/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* libncmig (private): the one growable array. */
#ifndef NCMIG_GROW_H
#define NCMIG_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Make the array *@arrp (any pointer type, passed as its address) hold
 * at least @need elements of @size octets: *@cap doubles from @first.
 * 0, or -ENOMEM with the array and *@cap as they were.
 */
static inline int ncmig_grow(void *arrp, size_t *cap, size_t need,
			     size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *arr, *na;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return -ENOMEM;
	memcpy(&arr, arrp, sizeof(arr));
	na = realloc(arr, n * size);
	if (!na)
		return -ENOMEM;
	memcpy(arrp, &na, sizeof(na));
	*cap = n;
	return 0;
}

#endif /* NCMIG_GROW_H */
