/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The verbs of ncmigd, one line each: X(name, function, help).
 * Adding a verb is one line here plus a cmd_<name>.c that defines
 *     int cmd_<name>(int argc, char **argv);
 * argv[0] is the verb; return the process exit status (0, 1 on error,
 * 2 on a usage error).  user/Makefile builds every .c file in ncmigd/.
 *
 * The kernel-core verbs (handover, status: cmd_handover.c, cmd_status.c)
 * go in the marked place below.
 */
#ifndef NCMIGD_COMMANDS_H
#define NCMIGD_COMMANDS_H

#define NCMIGD_COMMANDS(X)						\
	X(save, cmd_save,						\
	  "save --domid D [-o FILE | --fd N] [--no-backends] [--json]: "\
	  "write D's xenstore area (and backend state) as a stream")	\
	X(restore, cmd_restore,						\
	  "restore --domid D [-i FILE | --fd N] [--overwrite] [--json]: "\
	  "put a stream's xenstore area onto domain D")			\
	X(inspect, cmd_inspect,						\
	  "inspect FILE [--json]: validate a stream and list its records") \
	X(splice, cmd_splice,						\
	  "splice send|recv ...: carry the stream inside xl migrate -s")	\
	X(handover, cmd_handover,					\
	  "handover --domid D [--domid D2]... [--reload-modules] [--module-dir DIR] "\
	  "[--json]: hand D's backends over without the frontends noticing")	\
	X(status, cmd_status,						\
	  "status [--domid D] [--json]: handover sessions and devices")	\
	X(quiesce, cmd_quiesce,						\
	  "quiesce --domid D [--deadline-ms N] [--hold-s S]: stop D's backends") \
	X(resume, cmd_resume,						\
	  "resume --domid D: abort a handover, resume in place")	\
	X(monitor, cmd_monitor,						\
	  "monitor [--count N] [--timeout-ms N] [--json]: print handover events") \
	/* kernel-core verbs (handover, status) go here */

#define NCMIGD_DECLARE(name, fn, help) int fn(int argc, char **argv);
NCMIGD_COMMANDS(NCMIGD_DECLARE)
#undef NCMIGD_DECLARE

#endif /* NCMIGD_COMMANDS_H */
