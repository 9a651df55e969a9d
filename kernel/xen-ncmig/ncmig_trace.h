/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints at every session and device step, with their durations, for
 * soak runs and benchmarks: perf trace -e 'xen_ncmig:*'.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xen_ncmig

#if !defined(NCMIG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define NCMIG_TRACE_H

#include <linux/tracepoint.h>

/*
 * The step and kind names are short constants: fixed arrays, not
 * __string(), whose __assign_str() changed between our trees (6.10
 * dropped its second argument, "tracing/treewide: Remove second
 * parameter of __assign_str()"), so this file is the same for all of them.
 */
#define NCMIG_TRACE_STEP_LEN 16
#define NCMIG_TRACE_KIND_LEN 8

TRACE_EVENT(ncmig_session,
	    TP_PROTO(u16 domid, const char *step, u32 state, int err),
	    TP_ARGS(domid, step, state, err),
	    TP_STRUCT__entry(__field(u16, domid)
			     __array(char, step, NCMIG_TRACE_STEP_LEN)
			     __field(u32, state)
			     __field(int, err)),
	    TP_fast_assign(__entry->domid = domid;
			   strscpy(__entry->step, step, sizeof(__entry->step));
			   __entry->state = state;
			   __entry->err = err;),
	    TP_printk("d%u %s state=%u err=%d", __entry->domid,
		      __entry->step, __entry->state, __entry->err)
);

TRACE_EVENT(ncmig_device,
	    TP_PROTO(u16 domid, const char *kind, u32 devid, const char *step,
		     int err, u64 start_ns, u64 done_ns),
	    TP_ARGS(domid, kind, devid, step, err, start_ns, done_ns),
	    TP_STRUCT__entry(__field(u16, domid)
			     __array(char, kind, NCMIG_TRACE_KIND_LEN)
			     __field(u32, devid)
			     __array(char, step, NCMIG_TRACE_STEP_LEN)
			     __field(int, err)
			     __field(u64, start_ns)
			     __field(u64, done_ns)),
	    TP_fast_assign(__entry->domid = domid;
			   strscpy(__entry->kind, kind, sizeof(__entry->kind));
			   __entry->devid = devid;
			   strscpy(__entry->step, step, sizeof(__entry->step));
			   __entry->err = err;
			   __entry->start_ns = start_ns;
			   __entry->done_ns = done_ns;),
	    TP_printk("d%u %s %u %s err=%d took_ns=%llu", __entry->domid,
		      __entry->kind, __entry->devid, __entry->step,
		      __entry->err, __entry->done_ns - __entry->start_ns)
);

#endif /* NCMIG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ncmig_trace
#include <trace/define_trace.h>
