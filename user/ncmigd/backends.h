/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Hooks between the stream commands (save, restore) and the kernel's
 * xen_ncmig family.  backends.c holds the versions used until the
 * netlink side fills them in (kernel-core: replace backends.c's bodies
 * with calls into nl*.c; keep these signatures).
 */
#ifndef NCMIGD_BACKENDS_H
#define NCMIGD_BACKENDS_H

#include <stdint.h>

#include "stream.h"

/*
 * 1 if the xen_ncmig family is present and @domid has a quiesced session
 * whose devices can be snapshotted now, 0 if not (the stream then says
 * in its DOMAIN record that it carries no backend state), or a negative
 * errno.
 */
int ncmigd_backends_probe(uint16_t domid);

/*
 * Write one BACKEND record per device of @domid with
 * ncmig_write_backend().  Returns how many, or a negative errno.
 */
int ncmigd_backends_write(uint16_t domid, struct ncmig_writer *w);

/*
 * Hand the stream's validated BACKEND records to the kernel for @domid
 * (XEN_NCMIG_CMD_RESTORE).  Returns how many were attached, or a negative
 * errno (-EOPNOTSUPP if this ncmigd cannot reach the family).
 */
int ncmigd_backends_restore(uint16_t domid, const struct ncmig_stream *s);

/*
 * What the verbs call: the functions above by default; tests put fakes
 * here so that no unit test reaches the kernel.
 */
struct ncmigd_backends_ops {
	int (*probe)(uint16_t domid);
	int (*write)(uint16_t domid, struct ncmig_writer *w);
	int (*restore)(uint16_t domid, const struct ncmig_stream *s);
	/* 0 if the xen_ncmig family answers, -EOPNOTSUPP if it is absent */
	int (*family)(void);
};
extern const struct ncmigd_backends_ops *ncmigd_backends;
int ncmigd_backends_family(void);

#endif /* NCMIGD_BACKENDS_H */
