/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The ncmig record stream (doc/stream-format.md): a 16-octet header, then
 * records framed like Xen's xenstore-migration stream, each with a
 * CRC-32C, ending with END.  Little-endian throughout.
 *
 * Writing: init a writer in memory or on an fd, write the header, the
 * DOMAIN record, any records, then END.  Errors are sticky: check the
 * return of ncmig_write_end() (or w->err) once at the end if you like.
 *
 * Reading: ncmig_stream_parse() or ncmig_stream_read_fd() take a whole
 * stream into memory and validate every record before returning; nothing
 * is applied from a stream that did not parse.
 */
#ifndef NCMIGD_STREAM_H
#define NCMIGD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCMIG_STREAM_IDENT	"NCMIGSTM"	/* 8 octets, no NUL */
#define NCMIG_STREAM_VERSION	1
#define NCMIG_STREAM_HDR_LEN	16
#define NCMIG_REC_HDR_LEN	16
#define NCMIG_REC_ALIGN		8
/* Unknown records with this bit are skipped; others are rejected. */
#define NCMIG_REC_OPTIONAL	0x80000000U

/* Record types.  3 and 5 keep their xenstore-migration numbers. */
enum ncmig_rec_type {
	NCMIG_REC_END = 0x00000000,
	NCMIG_REC_XS_WATCH = 0x00000003,	/* WATCH_DATA layout */
	NCMIG_REC_XS_NODE = 0x00000005,		/* NODE_DATA layout */
	NCMIG_REC_DOMAIN = 0x00000100,		/* first record, once */
	NCMIG_REC_BACKEND = 0x00000101,		/* one snapshot record */
};

/* DOMAIN record flags. */
#define NCMIG_DOM_F_XS_NODES	(1U << 0)	/* the node tree was captured */
#define NCMIG_DOM_F_XS_WATCHES	(1U << 1)	/* the watch list was captured */
#define NCMIG_DOM_F_BACKENDS	(1U << 2)	/* backend records were taken */
/* DOMAIN carries the domain's UUID and the host's identity (40 octets). */
#define NCMIG_DOM_F_IDENTITY	(1U << 3)
#define NCMIG_DOM_F_ALL		0xfU
/* What can be carried: every flag but IDENTITY (which says how). */
#define NCMIG_DOM_F_V1_ALL	0x7U

#define NCMIG_DOMAIN_LEN	8	/* without identity */
#define NCMIG_DOMAIN_ID_LEN	40	/* with NCMIG_DOM_F_IDENTITY */

/* Who a stream belongs to: the domain (libxl's UUID) on a host. */
struct ncmig_identity {
	unsigned char uuid[16];	/* the domain's, from /local/domain/D/vm */
	unsigned char host[16];	/* dom0's /etc/machine-id */
};

/* Xen's DOMID_FIRST_RESERVED: DOMID_SELF, DOMID_IO, ... from here on. */
#define NCMIG_DOMID_FIRST_RESERVED	0x7ff0U

/* Bounds every reader enforces before allocating or using anything. */
#define NCMIG_REC_BODY_MAX	(256U * 1024)
#define NCMIG_STREAM_MAX	(64U * 1024 * 1024)

/* ---- writer ---- */

struct ncmig_writer {
	int fd;			/* -1: the stream grows in buf */
	unsigned char *buf;
	size_t len, cap;
	uint64_t offset;	/* octets written so far */
	uint32_t nr_recs;
	int err;		/* first error, negative errno; sticky */
};

void ncmig_writer_init_mem(struct ncmig_writer *w);
void ncmig_writer_init_fd(struct ncmig_writer *w, int fd);
/* Frees the memory buffer; never closes the fd. */
void ncmig_writer_free(struct ncmig_writer *w);

int ncmig_write_header(struct ncmig_writer *w);
/* Any record; @type's body must already be in its wire layout. */
int ncmig_write_record(struct ncmig_writer *w, uint32_t type,
		       const void *body, size_t len);
int ncmig_write_domain(struct ncmig_writer *w, uint16_t domid,
		       uint32_t flags);
/* The same with the domain's identity (sets NCMIG_DOM_F_IDENTITY). */
int ncmig_write_domain_id(struct ncmig_writer *w, uint16_t domid,
			  uint32_t flags, const struct ncmig_identity *id);
/*
 * One backend device's snapshot record, exactly as the kernel gave it
 * (XEN_NCMIG_A_RECORD).  Validated with ncmig_snap_decode() first: a
 * record the kernel would refuse never enters a stream.
 */
int ncmig_write_backend(struct ncmig_writer *w, const void *rec,
			size_t len);
int ncmig_write_end(struct ncmig_writer *w);

/* ---- reader ---- */

/* A record as found in a stream; body points into the stream's buffer. */
struct ncmig_rec {
	uint32_t type;
	uint32_t len;
	uint64_t offset;	/* of the record header in the stream */
	const unsigned char *body;
};

/* xenstore node, from NODE_DATA; strings point into the stream buffer. */
struct ncmig_xs_node {
	const char *path;	/* relative to /local/domain/<domid>; "" = home */
	uint16_t path_len;	/* strlen(path) */
	const unsigned char *value;	/* binary, may hold NULs */
	uint16_t value_len;
	uint16_t nr_perms;	/* >= 1; the first names the owner */
	const unsigned char *perms;	/* nr_perms * 4 octets, wire layout */
	uint64_t offset;	/* of its record */
};

/* One permission of a node: 'r', 'w', 'b' (both) or 'n' (none). */
struct ncmig_xs_perm {
	char perm;
	uint16_t domid;
};

/* xenstore watch, from WATCH_DATA. */
struct ncmig_xs_watch {
	const char *path;
	const char *token;
	uint64_t offset;
};

/* Backend snapshot record, validated with ncmig_snap_decode(). */
struct ncmig_backend {
	const unsigned char *rec;
	uint32_t len;
	uint16_t kind;		/* enum xen_ncmig_dev_kind */
	uint16_t domid;
	uint32_t devid;
	uint64_t offset;
};

struct ncmig_stream {
	unsigned char *buf;	/* owned copy of the whole stream */
	size_t len;
	uint32_t version;
	uint32_t flags;
	uint16_t domid;		/* DOMAIN: the domain it was saved from */
	uint32_t dom_flags;	/* NCMIG_DOM_F_* */
	struct ncmig_identity id;	/* if dom_flags has F_IDENTITY */
	struct ncmig_rec *recs;	/* every record, END included */
	size_t nr_recs;
	struct ncmig_xs_node *nodes;
	size_t nr_nodes;
	struct ncmig_xs_watch *watches;
	size_t nr_watches;
	struct ncmig_backend *backends;
	size_t nr_backends;
	size_t nr_skipped;	/* unknown optional records */
};

struct ncmig_stream_err {
	char msg[256];		/* "record 3 (NODE_DATA) at offset 72: ..." */
	uint64_t offset;
	uint32_t type;
};

/* Parse and validate a whole stream held in memory (copied). */
int ncmig_stream_parse(const void *buf, size_t len, struct ncmig_stream *s,
		       struct ncmig_stream_err *err);
/*
 * Read one stream from @fd up to and including END, never past it (so a
 * pipe can carry more after it), then parse it.
 */
int ncmig_stream_read_fd(int fd, struct ncmig_stream *s,
			 struct ncmig_stream_err *err);
/*
 * The same for a file: one stream, and nothing after its END (a second
 * END, trailing octets, two streams concatenated are refused).
 */
int ncmig_stream_read_file(int fd, struct ncmig_stream *s,
			   struct ncmig_stream_err *err);
/* ncmig_stream_read_file() for a regular file, else _read_fd(). */
int ncmig_stream_read_input(int fd, struct ncmig_stream *s,
			    struct ncmig_stream_err *err);
void ncmig_stream_free(struct ncmig_stream *s);
/*
 * 0 if every BACKEND record of @s is a snapshot of @domid, else -EXDEV
 * with @err naming the first that is not (the kernel attaches a record
 * only to the domain it was taken from): restore checks this before it
 * applies anything.
 */
int ncmig_stream_check_backends(const struct ncmig_stream *s, uint16_t domid,
				struct ncmig_stream_err *err);

/*
 * 0 if @s has no BACKEND record, or carries an identity equal to @id
 * (the restore target's UUID on this host); else -EXDEV with @err
 * saying why.  A backend record describes one domain's rings on one
 * host: it reaches the kernel only for that domain, there.
 */
int ncmig_stream_check_identity(const struct ncmig_stream *s,
				const struct ncmig_identity *id,
				struct ncmig_stream_err *err);

/* The i-th permission of a node. */
struct ncmig_xs_perm ncmig_xs_node_perm(const struct ncmig_xs_node *n,
					uint16_t i);
/* "NODE_DATA", "BACKEND", ... or "unknown". */
const char *ncmig_rec_type_name(uint32_t type);

#endif /* NCMIGD_STREAM_H */
