#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void result_line(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "NCMIG-RESULT ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2), so lines from concurrent tools do not interleave. */
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		perror("result_line");
}

long parse_num(const char *opt, const char *val)
{
	char *end;
	long v;

	errno = 0;
	v = val ? strtol(val, &end, 10) : -1;
	if (!val || errno || *end || v < 0) {
		fprintf(stderr, "%s: expects a non-negative number\n", opt);
		exit(2);
	}
	return v;
}
