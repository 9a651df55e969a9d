// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The receiving side's command line, and xl's config, for splice. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "splice_args.h"

int ncmig_splice_config_uuid(const unsigned char *buf, size_t len,
			     char uuid[37])
{
	static const char key[] = "\"uuid\"";
	const char *j, *end, *p;
	uint32_t jl;
	size_t i;

	if (len < 4)
		return -EINVAL;
	jl = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
	     (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
	if (jl > len - 4)
		return -EINVAL;
	j = (const char *)buf + 4;
	end = j + jl;
	/* c_info comes first in libxl_domain_config's JSON; its "uuid" is
	 * the first key of that name.
	 */
	p = j;
	for (;;) {
		p = memchr(p, '"', (size_t)(end - p));
		if (!p || (size_t)(end - p) < sizeof(key) - 1)
			return -ENOENT;
		if (!memcmp(p, key, sizeof(key) - 1))
			break;
		p++;
	}
	p += sizeof(key) - 1;
	while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n'))
		p++;
	if (end - p < 38 || *p != '"' || p[37] != '"')
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		char c = p[1 + i];
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? c != '-' : !((c >= '0' && c <= '9') ||
					(c >= 'a' && c <= 'f') ||
					(c >= 'A' && c <= 'F')))
			return -EINVAL;
		uuid[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	uuid[36] = 0;
	return 0;
}

/* Append @w to @s single-quoted for a POSIX shell (' as '\''). */
static char *quote_append(char *s, size_t *len, const char *w)
{
	size_t need = *len + 4 * strlen(w) + 4;
	char *n = realloc(s, need), *p;

	if (!n) {
		free(s);
		return NULL;
	}
	p = n + *len;
	if (*len)
		*p++ = ' ';
	*p++ = '\'';
	for (; *w; w++) {
		if (*w == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = *w;
		}
	}
	*p++ = '\'';
	*p = 0;
	*len = (size_t)(p - n);
	return n;
}

char **ncmigd_splice_recv_argv(const char *ssh, const char *host, bool local,
			       bool plain, const char *const *opts, int nopts,
			       char *const *cmd, int ncmd)
{
	size_t words = strlen(ssh) / 2 + 2, rlen = 0;
	char **a = calloc((size_t)(nopts + ncmd) + words + 8, sizeof(*a));
	char *remote = NULL;
	const char *p;
	int n = 0, i;

	if (!a)
		return NULL;
	if (plain)
		nopts = 0;
	if (local && plain) {
		for (i = 0; i < ncmd; i++)
			a[n++] = strdup(cmd[i]);
		goto check;
	}
	if (local) {
		a[n++] = strdup("/proc/self/exe");
		a[n++] = strdup("splice");
		a[n++] = strdup("recv");
		for (i = 0; i < nopts; i++)
			a[n++] = strdup(opts[i]);
		a[n++] = strdup("--");
		for (i = 0; i < ncmd; i++)
			a[n++] = strdup(cmd[i]);
		goto check;
	}
	/* --ssh "ssh -p 2222": a command and its arguments, at blanks. */
	for (p = ssh; *p; ) {
		size_t k;

		while (*p == ' ' || *p == '\t')
			p++;
		k = strcspn(p, " \t");
		if (k)
			a[n++] = strndup(p, k);
		p += k;
	}
	if (!n) {
		free(a);
		return NULL;
	}
	a[n++] = strdup(host);
	/* One word for the remote shell, every part of it quoted. */
	if (!plain) {
		remote = quote_append(remote, &rlen, "ncmigd");
		if (remote)
			remote = quote_append(remote, &rlen, "splice");
		if (remote)
			remote = quote_append(remote, &rlen, "recv");
		for (i = 0; remote && i < nopts; i++)
			remote = quote_append(remote, &rlen, opts[i]);
		if (remote)
			remote = quote_append(remote, &rlen, "--");
	}
	for (i = 0; (remote || plain) && i < ncmd; i++) {
		remote = quote_append(remote, &rlen, cmd[i]);
		if (!remote)
			break;
	}
	a[n++] = remote;
check:
	for (i = 0; i < n; i++)
		if (!a[i]) {
			a[i] = strdup("");	/* so that free finds them all */
			for (; i < n; i++)
				if (!a[i])
					a[i] = strdup("");
			ncmigd_splice_argv_free(a);
			return NULL;
		}
	return a;
}

void ncmigd_splice_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}
