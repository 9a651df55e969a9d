// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The "watches" object of save's and restore's reports (watches_json.h). */
#include <stdint.h>

#include "watches_json.h"
#include "xs_lu.h"

void json_watches(struct json *j, enum ncmig_watch_status st, size_t n,
		  bool save)
{
	const struct ncmig_lu_result *lu = ncmig_lu_last();

	json_key(j, "watches");
	json_obj_begin(j);
	json_kv_bool(j, "carried", st == NCMIG_WATCHES_CARRIED);
	json_kv_u64(j, "count", n);
	json_kv_str(j, "detail", ncmig_watch_status_text(st, save));
	json_kv_str(j, "method", ncmig_watch_method(st));
	if (lu) {
		json_kv_u64(j, "lu_us", (uint64_t)(lu->ms * 1000));
		json_kv_u64(j, "lu_state_octets", lu->state_len);
		json_kv_u64(j, "lu_connections", lu->sum.conns);
		json_kv_u64(j, "lu_all_watches", lu->sum.watches);
		json_kv_u64(j, "lu_domain_watches_before", lu->sum.dom_watches);
		json_kv_u64(j, "lu_added", lu->added);
		json_kv_u64(j, "lu_dropped", lu->dropped);
	}
	json_obj_end(j);
}
