/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* ncmigd splice: xl config's UUID and the receiver's command line (splice_args.c). */
#ifndef NCMIGD_SPLICE_ARGS_H
#define NCMIGD_SPLICE_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The "uuid" of c_info in xl's optional data (@buf, @len as the config
 * hook gets them), as text in @uuid: 0, -ENOENT (none), -EINVAL.
 */
int ncmig_splice_config_uuid(const unsigned char *buf, size_t len,
			     char uuid[37]);

/*
 * The command that starts the receiving side: for a local HOST
 * ("/proc/self/exe" splice recv OPTS -- CMD...), else @ssh split into
 * words at blanks, HOST, and ONE argument for the remote shell:
 * "ncmigd splice recv 'OPT'... -- 'CMD'..." with every word
 * single-quoted (ssh joins its arguments with blanks and hands them to
 * a shell).  @plain (a receiver without ncmig): CMD... alone, locally
 * exec'd as it is, through ssh quoted the same way; @opts are ignored.  A NULL-terminated malloc()ed array; free with
 * ncmigd_splice_argv_free().
 */
char **ncmigd_splice_recv_argv(const char *ssh, const char *host, bool local,
			       bool plain, const char *const *opts, int nopts,
			       char *const *cmd, int ncmd);
void ncmigd_splice_argv_free(char **argv);

#endif /* NCMIGD_SPLICE_ARGS_H */
