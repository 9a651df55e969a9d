// SPDX-License-Identifier: GPL-2.0 OR MIT
/* NODE_DATA and WATCH_DATA codec (xs_record.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "xs_record.h"

/* xenstored's is_valid_nodename(): alphanumerics and "-/_@". */
static bool xs_char_valid(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
	       c == '@';
}

bool ncmig_xs_relpath_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return true;		/* the home node itself */
	if (len > NCMIG_XS_RELPATH_MAX || p[0] == '/' || p[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		if (!xs_char_valid(p[i]))
			return false;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return false;
	}
	return true;
}

bool ncmig_xs_wpath_valid(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > NCMIG_XS_PATH_MAX)
		return false;
	if (p[0] == '@')		/* @introduceDomain, @releaseDomain */
		return len > 1 && memchr(p, '/', len) == NULL &&
		       memchr(p, 0, len) == NULL;
	for (i = 0; i < len; i++) {
		if (!xs_char_valid(p[i]))
			return false;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return false;
	}
	return len == 1 || p[len - 1] != '/';
}

bool ncmig_xs_perm_char_valid(char c)
{
	return c == 'r' || c == 'w' || c == 'b' || c == 'n';
}

/* A NUL-terminated string of exactly @len octets with the NUL. */
static bool cstring_exact(const unsigned char *p, size_t len)
{
	return len >= 1 && p[len - 1] == 0 && memchr(p, 0, len - 1) == NULL;
}

static int why_fail(const char **why, const char *what)
{
	if (why)
		*why = what;
	return -EINVAL;
}

/*
 * Octets of the SET_PERMS that restores these permissions under the
 * longest home: absolute path and NUL, then "<perm><domid>" and a NUL
 * per entry.
 */
static size_t perms_payload(const unsigned char *pe, uint16_t nr,
			    uint16_t path_len)
{
	size_t n = NCMIG_XS_HOME_MAX + (size_t)path_len;
	uint16_t i, d;

	for (i = 0; i < nr; i++) {
		d = le16_ld(pe + 4 * i + 2);
		n += 2 + (d >= 10000 ? 5 : d >= 1000 ? 4 : d >= 100 ? 3 :
			  d >= 10 ? 2 : 1);
	}
	return n;
}

int ncmig_xs_node_decode(const unsigned char *body, size_t len,
			 struct ncmig_xs_node *n, const char **why)
{
	uint16_t path_len, value_len, access, nr_perms, i;
	const unsigned char *path;
	size_t want;

	if (len < NCMIG_XS_NODE_FIXED)
		return why_fail(why, "NODE_DATA shorter than its fixed part");
	if (le32_ld(body) != 0 || le32_ld(body + 4) != 0)
		return why_fail(why, "NODE_DATA of a transaction (conn-id or tx-id set)");
	path_len = le16_ld(body + 8);
	value_len = le16_ld(body + 10);
	access = le16_ld(body + 12);
	nr_perms = le16_ld(body + 14);
	if (access != 0)
		return why_fail(why, "NODE_DATA access not zero");
	if (nr_perms < 1)
		return why_fail(why, "NODE_DATA without an owner permission");
	if (nr_perms > NCMIG_XS_PERMS_MAX)
		return why_fail(why, "NODE_DATA with too many permissions");
	want = NCMIG_XS_NODE_FIXED + 4 * (size_t)nr_perms + path_len + value_len;
	if (len != want)
		return why_fail(why, "NODE_DATA length does not match its fields");
	for (i = 0; i < nr_perms; i++) {
		const unsigned char *pe = body + NCMIG_XS_NODE_FIXED + 4 * i;

		if (!ncmig_xs_perm_char_valid((char)pe[0]))
			return why_fail(why, "NODE_DATA permission not r/w/b/n");
		if (pe[1] != 0)
			return why_fail(why, "NODE_DATA permission flags not zero");
	}
	if (value_len > NCMIG_XS_VALUE_MAX)
		return why_fail(why, "NODE_DATA value over XENSTORE_PAYLOAD_MAX (4096)");
	path = body + NCMIG_XS_NODE_FIXED + 4 * (size_t)nr_perms;
	if (perms_payload(body + NCMIG_XS_NODE_FIXED, nr_perms, path_len) >
	    NCMIG_XS_PAYLOAD_MAX)
		return why_fail(why, "NODE_DATA permissions do not fit one SET_PERMS (4096 octets)");
	if (!cstring_exact(path, path_len))
		return why_fail(why, "NODE_DATA path not one NUL-terminated string");
	if (!ncmig_xs_relpath_valid((const char *)path, path_len - 1U))
		return why_fail(why, "NODE_DATA path not a valid relative path");
	n->path = (const char *)path;
	n->path_len = (uint16_t)(path_len - 1);
	n->value = path + path_len;
	n->value_len = value_len;
	n->nr_perms = nr_perms;
	n->perms = body + NCMIG_XS_NODE_FIXED;
	return 0;
}

int ncmig_xs_watch_decode(const unsigned char *body, size_t len,
			  struct ncmig_xs_watch *w, const char **why)
{
	uint16_t wpath_len, token_len;
	const unsigned char *wpath, *token;

	if (len < NCMIG_XS_WATCH_FIXED)
		return why_fail(why, "WATCH_DATA shorter than its fixed part");
	if (le32_ld(body) != 0)
		return why_fail(why, "WATCH_DATA conn-id not zero");
	wpath_len = le16_ld(body + 4);
	token_len = le16_ld(body + 6);
	if (len != (size_t)NCMIG_XS_WATCH_FIXED + wpath_len + token_len)
		return why_fail(why, "WATCH_DATA length does not match its fields");
	wpath = body + NCMIG_XS_WATCH_FIXED;
	token = wpath + wpath_len;
	if (!cstring_exact(wpath, wpath_len) ||
	    !ncmig_xs_wpath_valid((const char *)wpath, wpath_len - 1U))
		return why_fail(why, "WATCH_DATA path not a valid path");
	if (!cstring_exact(token, token_len) ||
	    token_len > NCMIG_XS_TOKEN_MAX)
		return why_fail(why, "WATCH_DATA token not one NUL-terminated string");
	w->path = (const char *)wpath;
	w->token = (const char *)token;
	return 0;
}

int ncmig_xs_node_encode(const char *relpath, const void *value,
			 size_t value_len, const struct ncmig_xs_perm *perms,
			 size_t nr_perms, unsigned char **out, size_t *out_len)
{
	size_t path_len = strlen(relpath), len, i;
	unsigned char *b, *p;

	if (!ncmig_xs_relpath_valid(relpath, path_len) || value_len > 0xffff ||
	    nr_perms < 1 || nr_perms > NCMIG_XS_PERMS_MAX)
		return -EINVAL;
	for (i = 0; i < nr_perms; i++)
		if (!ncmig_xs_perm_char_valid(perms[i].perm))
			return -EINVAL;
	len = NCMIG_XS_NODE_FIXED + 4 * nr_perms + path_len + 1 + value_len;
	b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	le16_st(b + 8, (uint16_t)(path_len + 1));
	le16_st(b + 10, (uint16_t)value_len);
	le16_st(b + 14, (uint16_t)nr_perms);
	for (i = 0; i < nr_perms; i++) {
		b[NCMIG_XS_NODE_FIXED + 4 * i] = (unsigned char)perms[i].perm;
		le16_st(b + NCMIG_XS_NODE_FIXED + 4 * i + 2, perms[i].domid);
	}
	p = b + NCMIG_XS_NODE_FIXED + 4 * nr_perms;
	memcpy(p, relpath, path_len + 1);
	if (value_len)
		memcpy(p + path_len + 1, value, value_len);
	{
		struct ncmig_xs_node n;

		/* Never write what a reader refuses (xenstored's limits). */
		if (ncmig_xs_node_decode(b, len, &n, NULL)) {
			free(b);
			return -EINVAL;
		}
	}
	*out = b;
	*out_len = len;
	return 0;
}

int ncmig_xs_watch_encode(const char *wpath, const char *token,
			  unsigned char **out, size_t *out_len)
{
	size_t wl = strlen(wpath), tl = strlen(token), len;
	unsigned char *b;

	if (!ncmig_xs_wpath_valid(wpath, wl) || tl + 1 > NCMIG_XS_TOKEN_MAX)
		return -EINVAL;
	len = NCMIG_XS_WATCH_FIXED + wl + 1 + tl + 1;
	b = calloc(1, len);
	if (!b)
		return -ENOMEM;
	le16_st(b + 4, (uint16_t)(wl + 1));
	le16_st(b + 6, (uint16_t)(tl + 1));
	memcpy(b + NCMIG_XS_WATCH_FIXED, wpath, wl + 1);
	memcpy(b + NCMIG_XS_WATCH_FIXED + wl + 1, token, tl + 1);
	*out = b;
	*out_len = len;
	return 0;
}
