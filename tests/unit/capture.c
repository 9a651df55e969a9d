// SPDX-License-Identifier: GPL-2.0 OR MIT
#include <stdio.h>
#include <unistd.h>

#include "capture.h"
#include "ncmig.h"

int capture_run(int (*fn)(int, char **), int argc, char **argv,
		char *out, size_t cap)
{
	FILE *f = tmpfile();
	int saved_out = dup(1), saved_err = dup(2), rc;
	size_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(f), 1);
	dup2(fileno(f), 2);
	rc = fn(argc, argv);
	/* A verb's --json set the error callback for its process: reset. */
	ncmig_set_err_cb(NULL, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = 0;
	fclose(f);
	return rc;
}
