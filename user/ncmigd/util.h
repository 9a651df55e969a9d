/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Helpers every verb uses: error messages that name the domain and the
 * device ("ncmigd: d5 vbd 51712: ..."), strict number parsing, and the
 * options most verbs share.
 */
#ifndef NCMIGD_UTIL_H
#define NCMIGD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest domid a guest can have (DOMID_FIRST_RESERVED - 1). */
#define NCMIGD_DOMID_MAX	0x7fefU

/* "ncmigd: ...\n" on stderr. */
void ncmigd_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ncmigd: d<domid>: ...\n" */
void ncmigd_dom_err(unsigned int domid, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "ncmigd: d<domid> <kind> <devid>: ...\n"; kind is "vbd" or "vif". */
void ncmigd_dev_err(unsigned int domid, const char *kind, uint32_t devid,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "vbd", "vif" or "kind<N>" for enum xen_ncmig_dev_kind. */
const char *ncmigd_kind_name(unsigned int kind);

/* Whole-string decimal (or 0x hex) numbers; false on junk or overflow. */
bool ncmigd_parse_u32(const char *s, uint32_t *out);
/* A guest domid, 1..NCMIGD_DOMID_MAX. */
bool ncmigd_parse_domid(const char *s, uint16_t *out);
/* A file descriptor number that is open. */
bool ncmigd_parse_fd(const char *s, int *out);

/*
 * Where a verb reads or writes its stream: -o/-i FILE, --fd N, or
 * stdin/stdout when neither is given.  Returns an fd or -1 (message
 * printed).  ncmigd_close_stream() closes what ncmigd_open_stream opened.
 */
int ncmigd_open_stream(const char *path, int fd, bool for_write);
void ncmigd_close_stream(int fd, const char *path);

/* Whole-buffer I/O, restarted on EINTR and short counts; 0 or -errno.
 * ncmigd_read_all returns -ENODATA at end of file.
 */
int ncmigd_write_all(int fd, const void *buf, size_t len);
int ncmigd_read_all(int fd, void *buf, size_t len);

/*
 * This host's identity for a stream's DOMAIN record: dom0's
 * /etc/machine-id (32 hex digits), or the file NCMIGD_HOST_ID_FILE
 * names (tests).  0, -ENOENT, -EINVAL.
 */
int ncmigd_host_id(unsigned char id[16]);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits. */
int ncmigd_parse_uuid(const char *s, size_t len, unsigned char out[16]);

#endif /* NCMIGD_UTIL_H */
