/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * ncmigd: strict option values and the stream a verb reads or writes
 * (util.c); the messages themselves are libncmig's (ncmig.h).
 */
#ifndef NCMIGD_UTIL_H
#define NCMIGD_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "ncmig.h"

/* Whole-string decimal (or 0x hex) numbers; false on junk or overflow. */
/* ncmigd -q (-1: errors only), none (0), -v (1: progress on stderr). */
extern int ncmigd_verbosity;

bool ncmigd_parse_u32(const char *s, uint32_t *out);
/* A guest domid, 1..NCMIG_DOMID_MAX. */
bool ncmigd_parse_domid(const char *s, uint16_t *out);
/* A file descriptor number that is open. */
bool ncmigd_parse_fd(const char *s, int *out);

/*
 * Where a verb reads or writes its stream: -o/-i FILE, --fd N, or
 * stdin/stdout when neither is given.  Returns an fd or -1 (message
 * printed).  ncmigd_close_stream() closes what ncmigd_open_stream opened.
 */
int ncmigd_open_stream(const char *path, int fd, bool for_write);

/*
 * true (after saying so) if a binary stream for @path/@fd, as
 * ncmigd_open_stream() would open it for writing, would go to a terminal.
 */
bool ncmigd_stream_to_tty(const char *verb, const char *path, int fd);
void ncmigd_close_stream(int fd, const char *path);

/*
 * Write @buf to @path whole or not at all (PATH.tmp, fsync, rename).
 * 0, a negative errno (PATH.tmp removed), or 1 when PATH.tmp could not
 * be opened (ncmigd_open_stream() said so).
 */
int ncmigd_write_file(const char *path, const void *buf, size_t len);

/* --watches-via lu-state: xenstored's wait for open transactions (s). */
#define NCMIGD_LU_TIMEOUT_S	5

#endif /* NCMIGD_UTIL_H */
