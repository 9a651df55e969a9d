/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The verbs of ncmigd, one line each: X(name, function, usage, what).
 * Adding a verb is one line here plus a cmd_<name>.c that defines
 *     const char <usage>[];	its one usage text, "usage: ncmigd NAME ..."
 *     int cmd_<name>(int argc, char **argv);
 * argv[0] is the verb; it parses its options with ncmigd_parse() (opts.h)
 * and returns the process exit status (0, 1 on error, 2 on a usage
 * error, NCMIGD_EXIT_LEFT from handover, update-backends and roll).  `ncmigd
 * --help` lists each verb's synopsis, taken from its usage text, and
 * @what.  user/Makefile builds every .c file in ncmigd/.
 */
#ifndef NCMIGD_COMMANDS_H
#define NCMIGD_COMMANDS_H

/*
 * handover, update-backends: nothing failed, but some device had left the
 * handover (reconnected by its driver, closed or gone) and was not
 * attached from its snapshot; each is named on stderr.  Its frontend was
 * not handed over: not a success.
 */
#define NCMIGD_EXIT_LEFT	3

#define NCMIGD_COMMANDS(X)						\
	X(save, cmd_save, save_usage,					\
	  "write D's xenstore area (and backend state) as a stream")	\
	X(restore, cmd_restore, restore_usage,				\
	  "put a stream's xenstore area onto domain D")			\
	X(inspect, cmd_inspect, inspect_usage,				\
	  "validate a stream and list its records")			\
	X(splice, cmd_splice, splice_usage,				\
	  "carry the stream inside xl migrate -s")			\
	X(handover, cmd_handover, handover_usage,			\
	  "hand D's backends over without the frontends noticing")	\
	X(update-backends, cmd_update_backends, update_backends_usage,	\
	  "hand every domain over onto reloaded backend modules")	\
	X(roll, cmd_roll, roll_usage,					\
	  "rolling update: backends' new slot beside the old, no stop")	\
	X(status, cmd_status, status_usage,				\
	  "handover sessions and devices")				\
	X(quiesce, cmd_quiesce, quiesce_usage,				\
	  "stop D's backends")						\
	X(resume, cmd_resume, quiesce_usage,				\
	  "abort a handover, resume in place")				\
	X(monitor, cmd_monitor, monitor_usage,				\
	  "print handover events")					\
	X(xs-watches, cmd_xs_watches, xs_watches_usage,			\
	  "D's watches from a live update of xenstored (lab)")

#define NCMIGD_DECLARE(name, fn, usage, what)				\
	int fn(int argc, char **argv);					\
	extern const char usage[];
NCMIGD_COMMANDS(NCMIGD_DECLARE)
#undef NCMIGD_DECLARE

#endif /* NCMIGD_COMMANDS_H */
