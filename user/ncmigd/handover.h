/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* ncmigd handover's output (cmd_handover.c); the engine is libncmig's. */
#ifndef NCMIGD_HANDOVER_H
#define NCMIGD_HANDOVER_H

#include <stdbool.h>

#include "json.h"
#include "ncmig.h"

/*
 * A restored domain's per-device lines and its own line; with @json one
 * object, into @j if given (an array of several), else on its own.
 */
void ho_print_result(const struct ncmig_ho_dom *d, bool reload, bool json,
		     struct json *j);

/*
 * The engine's options handover and update-backends share, as getopt
 * codes: 'm' --module-dir, 't' --timeout-ms, 'D' --deadline-ms.  0 or 2.
 */
int ho_engine_opt(int c, const char *arg, struct ncmig_ho_opts *o);

/*
 * Run the engine over @domids with @o and print (and audit) the result,
 * as the verb @verb ("handover", "update-backends"); the exit status.
 */
int ho_run_verb(const char *verb, const uint16_t *domids, unsigned int n,
		struct ncmig_ho_opts *o, bool json, const char *pause_after);

#endif /* NCMIGD_HANDOVER_H */
