// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * C xenstored's live-update state file (xs_lustate.c), read out of a
 * live update of the host's xenstored, and ncmig's edit request, read
 * in that update's window.  First octet even: the rest is a state file;
 * a file that parses is edited (every watch of domain 5 dropped, then
 * the ones it had added back) and each result must parse again with the
 * counts the edit reports.  Odd: the rest is an edit request; one that
 * parses must format back to the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xs_lustate.h"

static void state(const uint8_t *d, size_t n)
{
	struct ncmig_xs_watch_pair *w, *w2;
	struct ncmig_lu_summary s, s2;
	unsigned int nr, nr2, a, dr;
	unsigned char *out, *out2;
	size_t len, len2;
	const char *why = NULL;
	int rc;

	rc = ncmig_lu_state_parse(d, n, 5, &s, &w, &nr, &why);
	if (rc) {
		if (!why && rc != -ENOMEM)
			abort();
		return;
	}
	if (s.dom_watches != nr || nr > s.watches)
		abort();
	rc = ncmig_lu_state_edit(d, n, 5, NCMIG_LU_EDIT_DROP, NULL, 0, &out,
				 &len, &a, &dr, &why);
	if (!s.found) {
		if (!rc)
			abort();
		ncmig_xs_free_watches(w, nr);
		return;
	}
	if (rc) {
		ncmig_xs_free_watches(w, nr);
		return;
	}
	if (dr != nr || a)
		abort();
	if (ncmig_lu_state_parse(out, len, 5, &s2, &w2, &nr2, &why) || nr2)
		abort();
	ncmig_xs_free_watches(w2, nr2);
	/* Back: what parses as a wpath is added (others are refused). */
	rc = ncmig_lu_state_edit(out, len, 5, NCMIG_LU_EDIT_ADD, w, nr, &out2,
				 &len2, &a, &dr, &why);
	if (!rc) {
		if (a > nr || dr)
			abort();
		if (ncmig_lu_state_parse(out2, len2, 5, &s2, &w2, &nr2, &why) ||
		    nr2 != a)
			abort();
		ncmig_xs_free_watches(w2, nr2);
		free(out2);
	}
	free(out);
	ncmig_xs_free_watches(w, nr);
}

static void request(const uint8_t *d, size_t n)
{
	struct ncmig_xs_watch_pair *w;
	enum ncmig_lu_edit_mode mode;
	const char *why = NULL;
	unsigned int nr;
	uint16_t domid;
	char *txt, *back;
	size_t blen;

	txt = malloc(n + 1);
	if (!txt)
		return;
	memcpy(txt, d, n);
	txt[n] = 0;
	if (ncmig_lu_edit_parse(txt, n, &domid, &mode, &w, &nr, &why)) {
		free(txt);
		return;
	}
	if (ncmig_lu_edit_format(domid, mode, w, nr, &back, &blen))
		abort();
	/* The same request: parse it again, it must give the same text. */
	{
		struct ncmig_xs_watch_pair *w2;
		enum ncmig_lu_edit_mode m2;
		unsigned int nr2;
		uint16_t d2;
		char *again;
		size_t alen;

		if (ncmig_lu_edit_parse(back, blen, &d2, &m2, &w2, &nr2, &why) ||
		    d2 != domid || m2 != mode || nr2 != nr)
			abort();
		if (ncmig_lu_edit_format(d2, m2, w2, nr2, &again, &alen) ||
		    alen != blen || memcmp(again, back, blen))
			abort();
		free(again);
		ncmig_xs_free_watches(w2, nr2);
	}
	free(back);
	ncmig_xs_free_watches(w, nr);
	free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		request(data + 1, size - 1);
	else
		state(data + 1, size - 1);
	return 0;
}
