/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Carrying an ncmig stream inside `xl migrate`'s transport
 * (doc/stream-format.md, "Inside xl migrate").
 *
 * What xl writes to its transport: xl's save-file header and optional
 * data (tools/xl/xl.h), a libxl stream v2 (docs/specs/
 * libxl-migration-stream.pandoc) whose LIBXC_CONTEXT record is followed
 * inline by a libxc stream (libxc-migration-stream.pandoc), libxl's END,
 * then xl's handshake messages.  The filter walks that structure record
 * by record, copying it through:
 *
 *  - send: just before libxl's END (the domain is suspended by then) it
 *    inserts one libxl-framed record of type NCMIG_SPLICE_REC_TYPE whose
 *    body is a whole ncmig stream;
 *  - recv: it removes that record and hands its body on, so libxl, which
 *    rejects record types it does not know, never sees it.
 *
 * Anything it does not recognise (a checkpointed Remus/COLO stream, a
 * big-endian stream, a legacy stream) stops the migration with an error
 * rather than passing through something it may have misread.
 */
#ifndef NCMIGD_SPLICE_H
#define NCMIGD_SPLICE_H

#include <stddef.h>
#include <stdint.h>

/* libxl record type of the inserted record ("NCMG" with bit 31 set). */
#define NCMIG_SPLICE_REC_TYPE	0xce434d47U

struct ncmig_splice_hooks {
	/*
	 * send: called when libxl's END arrives; return a malloc()ed ncmig
	 * stream in *buf and *len to insert (the filter frees it), or an errno.
	 */
	int (*at_end)(void *arg, unsigned char **buf, size_t *len);
	/*
	 * Both: xl's optional data (a u32 length and the domain's config
	 * as JSON, tools/xl/xl_saverestore.c), read whole (at most
	 * NCMIG_SPLICE_CONFIG_MAX octets) before it is passed on.
	 */
	int (*config)(void *arg, const unsigned char *buf, size_t len);
	/* recv: the inserted record's body, found and removed. */
	int (*found)(void *arg, const unsigned char *buf, size_t len);
	void *arg;
};

struct ncmig_splice_stats {
	uint64_t in_octets, out_octets;
	uint32_t libxl_records, libxc_records;
	uint32_t inserted, removed;
};

/*
 * Copy xl's migration stream from @in to @out, inserting or removing as
 * the hooks say, up to end of file.  Returns 0 or a negative errno with
 * @msg (of @cap octets) saying what and at which input offset.
 */
int ncmig_splice_filter(int in, int out, const struct ncmig_splice_hooks *h,
			struct ncmig_splice_stats *st, char *msg, size_t cap);

#define NCMIG_SPLICE_CONFIG_MAX	(1024 * 1024)

/*
 * The "uuid" of c_info in xl's optional data (@buf, @len as the config
 * hook gets them), as text in @uuid: 0, -ENOENT (none), -EINVAL.
 */
int ncmig_splice_config_uuid(const unsigned char *buf, size_t len,
			     char uuid[37]);

#include <stdbool.h>
/*
 * The command that starts the receiving side: for a local HOST
 * ("/proc/self/exe" splice recv OPTS -- CMD...), else @ssh split into
 * words at blanks, HOST, and ONE argument for the remote shell:
 * "ncmigd splice recv 'OPT'... -- 'CMD'..." with every word
 * single-quoted (ssh joins its arguments with blanks and hands them to
 * a shell).  A NULL-terminated malloc()ed array; free with
 * ncmigd_splice_argv_free().
 */
char **ncmigd_splice_recv_argv(const char *ssh, const char *host, bool local,
			       const char *const *opts, int nopts,
			       char *const *cmd, int ncmd);
void ncmigd_splice_argv_free(char **argv);

#endif /* NCMIGD_SPLICE_H */
