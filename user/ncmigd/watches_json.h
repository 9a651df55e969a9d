/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The "watches" object of save's and restore's --json reports: what
 * became of the domain's watches, and the xenstored live update that
 * carried them, if one ran (--watches-via lu-state).
 */
#ifndef NCMIGD_WATCHES_JSON_H
#define NCMIGD_WATCHES_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "ncmig.h"

void json_watches(struct json *j, enum ncmig_watch_status st, size_t n,
		  bool save);

#endif
