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

#endif /* NCMIGD_HANDOVER_H */
