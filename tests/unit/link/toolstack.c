// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A toolstack's view of libncmig: built with nothing but the public
 * header (-I user/lib/include, -pedantic) and linked with libncmig.a
 * alone, no ncmigd object: the header stands by itself and the library
 * needs nothing of the CLI.  user/Makefile's check builds and runs it.
 */
#include <errno.h>
#include <ncmig.h>

/* A toolstack logs the library's errors its own way. */
static void log_err(const struct ncmig_msg *m, void *arg)
{
	(*(unsigned int *)arg) += m->domid == 9 && m->kind == NULL;
}

int main(void)
{
	uint16_t doms[] = { 5, 7 };
	unsigned int logged = 0;
	struct ncmig_ho ho;

	ncmig_set_err_cb(log_err, &logged);
	ncmig_dom_err(9, "from the library");
	ncmig_set_err_cb(NULL, NULL);
	if (logged != 1)
		return 1;
	if (ncmig_ho_init(&ho, doms, 2, NULL, NULL))
		return 1;
	ncmig_ho_fini(&ho);
	/* duplicate domains are refused */
	doms[1] = 5;
	return ncmig_ho_init(&ho, doms, 2, NULL, NULL) == -EINVAL ? 0 : 1;
}
