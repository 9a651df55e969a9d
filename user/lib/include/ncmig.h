/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libncmig: the one public header.  A toolstack (libxl, libvirt, xenopsd
 * through C bindings) includes this and links libncmig.a; what is stable
 * is said in user/lib/README.md.
 *
 * Prefixes, one per layer:
 *   ncmig_stream_ / ncmig_write*   the record stream
 *   ncmig_xs_                      xenstore capture and restore
 *   ncmig_nl_                      the xen_ncmig netlink client
 *   ncmig_ho_                      the handover engine
 *   ncmig_splice_                  the stream inside xl's migration stream
 *   ncmig_backends_, ncmig_save_   backend state for save and restore
 */
#ifndef NCMIG_H
#define NCMIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== The record stream (stream_write.c, stream_read.c) ==== */

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
/*
 * The guest's grant table as dom0 mapped it: evidence, never applied;
 * optional (bit 31), so a reader without it skips it (gnttab.h).  A
 * #define: ISO C enumerators stop at INT_MAX.
 */
#define NCMIG_REC_GNTTAB	0x80000102U

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
	const unsigned char *gnttab;	/* GNTTAB body (at most one), or NULL */
	size_t gnttab_len;
	uint64_t gnttab_offset;
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
 * Write and parse a small synthetic stream (stream_warmup.c), so that a
 * suspend window that parses or writes one does not pay for the first
 * run.  0 or a negative errno; *@took_us (if given) how long it took.
 */
int ncmig_stream_warmup(uint64_t *took_us);

/*
 * The stream's BACKEND records as the two arrays RESTORE takes
 * (ncmig_nl_restore()): malloc()ed, NULL when it has none; free both.
 * 0 or -ENOMEM.
 */
int ncmig_stream_backend_arrays(const struct ncmig_stream *s,
				const void ***recs, size_t **lens);
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

/* ==== xenstore access (xs_real.c, xs_path.c) ==== */

/*
 * The few xenstore operations ncmigd needs, behind a table of functions
 * so that capture and restore can be unit-tested against a fake
 * (tests/unit/fake_xs.c).  xs_real.c implements them with libxenstore.
 *
 * Conventions: 0 or a negative errno; returned memory is malloc()ed and
 * the caller frees it (a directory is one block, like libxenstore's).
 * Between tx_start() and tx_end() every operation is in the transaction.
 */

struct ncmig_xs;

struct ncmig_xs_watch_pair {
	char *path;
	char *token;
};

struct ncmig_xs_ops {
	int (*directory)(struct ncmig_xs *x, const char *path, char ***names,
			 unsigned int *num);
	/* Binary-safe: *len is the value's length; a NUL follows it. */
	int (*read)(struct ncmig_xs *x, const char *path, void **val,
		    unsigned int *len);
	int (*write)(struct ncmig_xs *x, const char *path, const void *val,
		     unsigned int len);
	/* The node and everything under it; 0 if it did not exist. */
	int (*rm)(struct ncmig_xs *x, const char *path);
	int (*get_perms)(struct ncmig_xs *x, const char *path,
			 struct ncmig_xs_perm **perms, unsigned int *num);
	int (*set_perms)(struct ncmig_xs *x, const char *path,
			 const struct ncmig_xs_perm *perms, unsigned int num);
	int (*tx_start)(struct ncmig_xs *x);
	/* -EAGAIN: the transaction lost a race; start again. */
	int (*tx_end)(struct ncmig_xs *x, bool abort);
	/*
	 * A domain's watches, listed or registered on its behalf (the
	 * GET/ADD_DOMAIN_WATCHES of Xen's xenstore-migration design).
	 * -EOPNOTSUPP when this xenstored does not offer them, which
	 * domain_watches_supported() finds out by asking it.
	 */
	int (*domain_watches_supported)(struct ncmig_xs *x);
	int (*get_domain_watches)(struct ncmig_xs *x, uint16_t domid,
				  struct ncmig_xs_watch_pair **w,
				  unsigned int *num);
	int (*add_domain_watches)(struct ncmig_xs *x, uint16_t domid,
				  const struct ncmig_xs_watch_pair *w,
				  unsigned int num);
	/*
	 * Our own watch (XS_WATCH): an event names each node written,
	 * removed or given new permissions at or under @path (one for a
	 * whole removed subtree; none for a parent a write created), and
	 * the first one names @path itself.  xenstored queues an event
	 * before the reply to any later request of ours, so once such a
	 * reply has come, next_event() has every event of what was done
	 * before that request.  next_event() does not wait: 1 with the
	 * event's path in *path (malloc()ed), 0 if none is pending.
	 * NULL (a fake without them) or -EOPNOTSUPP: no watches.
	 */
	int (*watch)(struct ncmig_xs *x, const char *path, const char *token);
	int (*unwatch)(struct ncmig_xs *x, const char *path, const char *token);
	int (*next_event)(struct ncmig_xs *x, char **path);
	/* Readable when next_event() has one (xs_fileno), or -1. */
	int (*event_fd)(struct ncmig_xs *x);
};

struct ncmig_xs {
	const struct ncmig_xs_ops *ops;
	void *priv;
};

/* libxenstore, through the xenstored socket or /dev/xen/xenbus. */
struct ncmig_xs *ncmig_xs_open(void);
void ncmig_xs_close(struct ncmig_xs *x);
/* XS_CONTROL @cmd with @data (NUL-separated arguments); *reply malloc()ed. */
int ncmig_xs_control(struct ncmig_xs *x, const char *cmd, const void *data,
		     unsigned int len, char **reply);
/*
 * From now on, get_domain_watches()/add_domain_watches() on @x go through
 * one live update of the dom0 C xenstored each (user/lib/xs_lu.c; for a
 * lab: doc/cross-host.md section 12).  @timeout_s: xenstored's wait for
 * open transactions.  -EOPNOTSUPP for anything but libxenstore.
 */
int ncmig_xs_use_lu_watches(struct ncmig_xs *x, unsigned int timeout_s);
/*
 * Tests only: when set, ncmig_xs_open() returns what open() gives (a
 * fake) and ncmig_xs_close() hands it to close(), so a verb can run
 * whole against tests/unit/fake_xs.c.
 */
struct ncmig_xs_hooks {
	struct ncmig_xs *(*open)(void);
	void (*close)(struct ncmig_xs *x);
};
extern const struct ncmig_xs_hooks *ncmig_xs_hooks;

/* "/local/domain/<domid>" plus "/rel" unless rel is empty. */
int ncmig_xs_abs_path(char *buf, size_t cap, uint16_t domid, const char *rel);

void ncmig_xs_free_watches(struct ncmig_xs_watch_pair *w, unsigned int num);

/*
 * Run @body inside a transaction, all again when the commit loses a
 * race (-EAGAIN: then @again, if given, forgets what @body gathered),
 * at most NCMIG_XS_TX_TRIES times; a failing @body aborts it.  0, the
 * body's error, -EAGAIN after the last try, or another negative errno.
 */
#define NCMIG_XS_TX_TRIES	8
int ncmig_xs_transaction(struct ncmig_xs *x, int (*body)(struct ncmig_xs *x,
							 void *arg),
			 void (*again)(void *arg), void *arg);

/* ==== A domain's xenstore area: capture and restore (xs_capture.c, xs_restore.c) ==== */

/*
 * One domain's xenstore area as stream records: capture the whole
 * /local/domain/<domid> subtree (values binary-safe, complete permission
 * lists, paths relative to the home), and restore it onto a target
 * domid, rewriting owner and ACL entries that named the old domid.
 */

/* What happened to the watches, for the report. */
enum ncmig_watch_status {
	NCMIG_WATCHES_CARRIED,		/* listed (save) / registered (restore) */
	NCMIG_WATCHES_UNSUPPORTED,	/* this xenstored cannot do it */
	NCMIG_WATCHES_NOT_IN_STREAM,	/* restore: the source could not list */
};

struct ncmig_xs_capture {
	uint16_t domid;
	size_t nr_nodes;
	size_t value_bytes;
	enum ncmig_watch_status watches;
	size_t nr_watches;
	unsigned int tx_retries;
	/* NODE_DATA and WATCH_DATA bodies, in stream order. */
	struct ncmig_xs_body {
		uint32_t type;
		unsigned char *body;
		size_t len;
		char *rel;	/* NODE_DATA: its path (malloc()ed), else NULL */
	} *bodies;
	size_t nr_bodies;
};

/*
 * Read the domain's area in one transaction (retried on a race) into
 * @c.  Watches are listed only when the xenstored offers it.
 */
int ncmig_xs_capture(struct ncmig_xs *x, uint16_t domid,
		     struct ncmig_xs_capture *c);
/* NCMIG_DOM_F_XS_* flags that describe @c for the DOMAIN record. */
uint32_t ncmig_xs_capture_flags(const struct ncmig_xs_capture *c);
/* Append @c's records to @w (after the DOMAIN record). */
int ncmig_xs_capture_write(const struct ncmig_xs_capture *c,
			   struct ncmig_writer *w);
void ncmig_xs_capture_free(struct ncmig_xs_capture *c);

/*
 * A capture taken ahead and kept current, so that what is read while
 * the guest is suspended is only what changed (splice send):
 * ncmig_xs_live_start() sets a watch on the domain's home, lets its
 * first events pass (one round trip) and captures the whole area as
 * ncmig_xs_capture() does.  ncmig_xs_live_poll() (cheap when nothing
 * happened: no request) re-reads, in one transaction, the subtree of
 * each node an event named (a node gone: its subtree dropped; a node new
 * under a parent the capture lacks: the parent's subtree).
 * ncmig_xs_live_take() first makes one round trip (so every event of
 * what was done before it is in), polls, then lists the domain's
 * watches (when the xenstored can) and copies the result into @out,
 * which ncmig_xs_capture_write() writes as a fresh capture would be.
 * The live capture stays current for a later take (one per checkpoint).
 * A failed poll or take leaves it unusable (ok false): capture afresh.
 */
struct ncmig_xs_live {
	struct ncmig_xs *x;
	struct ncmig_xs_capture c;	/* NODE_DATA bodies only, DFS order */
	size_t cap;
	bool ok;
	bool watches_supported;
	char token[32];
	char home[32];			/* "/local/domain/<domid>" */
	/* Since start: events read, subtrees and nodes re-read. */
	unsigned int events, rereads, nodes_reread;
	/* The last take: events it found, nodes it re-read, requests. */
	unsigned int take_events, take_nodes;
};

int ncmig_xs_live_start(struct ncmig_xs *x, uint16_t domid,
			struct ncmig_xs_live *l);
int ncmig_xs_live_poll(struct ncmig_xs_live *l);
int ncmig_xs_live_take(struct ncmig_xs_live *l, struct ncmig_xs_capture *out);
/*
 * Its two parts: the round trip and the poll, so that @l is current
 * (take_events and take_nodes say what it found); then the copy, which
 * asks xenstored only for the domain's watches, where it can list them.
 */
int ncmig_xs_live_sync(struct ncmig_xs_live *l);
int ncmig_xs_live_copy(struct ncmig_xs_live *l, struct ncmig_xs_capture *out);
/* Readable when an event is pending (poll then), or -1. */
int ncmig_xs_live_fd(const struct ncmig_xs_live *l);
/* Removes the watch; @l's xenstore handle stays the caller's. */
void ncmig_xs_live_free(struct ncmig_xs_live *l);

/* An operator's --map-domid A=B: ACL entries naming A name B. */
struct ncmig_domid_map {
	uint16_t from, to;
};

struct ncmig_xs_restore_opts {
	bool overwrite;		/* replace nodes the target already has */
	/* Leave the frontend's device/ nodes alone (backend records present) */
	bool keep_device;
	const struct ncmig_domid_map *map;
	size_t nr_map;
	/* Keep what ncmig_xs_restore_undo() needs (free it with
	 * ncmig_xs_restore_free()); without it the journal is dropped.
	 */
	bool keep_undo;
};

/* A node as it was before restore wrote it. */
struct ncmig_xs_undo {
	char *path;
	bool existed;		/* else restore created it: remove it */
	void *val;
	unsigned int len;
	struct ncmig_xs_perm *perms;
	unsigned int nr_perms;
};

struct ncmig_xs_restore {
	uint16_t from, to;
	size_t nr_nodes;
	size_t nr_existing;	/* target nodes that already existed */
	size_t perms_rewritten;	/* entries that named @from */
	enum ncmig_watch_status watches;
	size_t nr_watches;
	unsigned int tx_retries;
	char existing[128];	/* first node left alone */
	size_t nr_toolstack;	/* toolstack-owned nodes not written */
	size_t nr_device;	/* device/ nodes not written (keep_device) */
	size_t values_rebased;	/* values naming the old home or backend dir */
	struct ncmig_xs_undo *undo;	/* in the order written */
	size_t nr_undo, cap_undo;
	char refused[192];	/* why, when -EPERM */
};

/*
 * Write @s's nodes under /local/domain/@to in one transaction, parents
 * first, with permissions rewritten.  A node that already exists there
 * is left alone (counted in nr_existing, the first named in r->existing)
 * unless @overwrite.
 */
int ncmig_xs_restore(struct ncmig_xs *x, const struct ncmig_stream *s,
		     uint16_t to, bool overwrite, struct ncmig_xs_restore *r);
/* The same with every option. */
int ncmig_xs_restore_opts(struct ncmig_xs *x, const struct ncmig_stream *s,
			  uint16_t to, const struct ncmig_xs_restore_opts *o,
			  struct ncmig_xs_restore *r);

/*
 * A node (path relative to the home) only the toolstack creates and
 * owns: "", name, domid, vm, control/..., memory/...,
 * device/<type>/<devid>/backend and backend-id.  Restore never writes
 * them.
 */
bool ncmig_xs_toolstack_node(const char *rel);

/*
 * Put every node restore wrote back as it was (a node it created is
 * removed), in one transaction: for a failure after the commit (the
 * watches, the kernel's RESTORE).  Watches already added stay: no
 * xenstored can remove a domain's watches on its behalf.
 */
int ncmig_xs_restore_undo(struct ncmig_xs *x, struct ncmig_xs_restore *r);
void ncmig_xs_restore_free(struct ncmig_xs_restore *r);

/*
 * @v with "/local/domain/<from>" and "backend/<type>/<from>" (each a
 * whole path element) naming @to instead: a malloc()ed string in *out,
 * the number of replacements returned (0: *out is NULL), or -ENOMEM.
 * Binary values (a NUL inside) are left as they are.
 */
int ncmig_xs_rebase(const char *v, size_t len, uint16_t from, uint16_t to,
		    char **out, size_t *out_len);

/*
 * The domain's UUID, from /local/domain/@domid/vm ("/vm/<uuid>", which
 * libxl writes and only dom0 may change).  -ENOENT, -EINVAL.
 */
int ncmig_xs_domain_uuid(struct ncmig_xs *x, uint16_t domid,
			 unsigned char uuid[16]);

/* One line for people: why watches were or were not carried. */
const char *ncmig_watch_status_text(enum ncmig_watch_status st, bool save);
/* "lu-state" (a live update of xenstored), "xs-control" or "none". */
const char *ncmig_watch_method(enum ncmig_watch_status st);

/* ==== A domain's whole stream (save_stream.c) ==== */

/*
 * A domain's whole ncmig stream: header, DOMAIN (with its identity when
 * it can be read), its xenstore records, its backend records only when
 * @backends is asked for (that quiesces the domain's backends for a
 * moment: QUIESCE, SNAPSHOT, RESUME), END.
 * Shared by `ncmigd save` and `ncmigd splice send`.
 */

struct ncmig_save_report {
	struct ncmig_xs_capture cap;	/* freed by ncmig_save_report_free */
	int backends;			/* records written, -1 if none taken */
	long gnttab_entries;		/* GNTTAB entries written, -1 if none */
	char gnttab_why[160];		/* why no GNTTAB record, if asked */
};

/*
 * Capture first (nothing is written if that fails), then write the whole
 * stream to @w.  Returns 0 or a negative errno, with a message printed.
 */
int ncmig_save_stream(struct ncmig_xs *x, uint16_t domid, bool backends,
		       struct ncmig_writer *w, struct ncmig_save_report *r);
void ncmig_save_report_free(struct ncmig_save_report *r);
/* The same, and with @gnttab a GNTTAB record of the domain's grant table. */
int ncmig_save_stream_opts(struct ncmig_xs *x, uint16_t domid, bool backends,
			   bool gnttab, struct ncmig_writer *w,
			   struct ncmig_save_report *r);

/*
 * The same in two steps, for splice send: what is stable is read ahead
 * (the domain's and host's identity; with @backends whether the family
 * is there and the domain has backends: errors printed), and the stream
 * is written later from a capture taken by then (ncmig_xs_live_take()),
 * which the report takes over (*@cap is left empty).
 */
struct ncmig_save_ahead {
	bool identity;			/* id holds the domain's and host's */
	struct ncmig_identity id;
	bool backends;			/* take backend records */
	bool gnttab;			/* add a GNTTAB record (evidence) */
};
int ncmig_save_ahead(struct ncmig_xs *x, uint16_t domid, bool backends,
		     struct ncmig_save_ahead *a);
int ncmig_save_stream_taken(uint16_t domid, const struct ncmig_save_ahead *a,
			    struct ncmig_xs_capture *cap,
			    struct ncmig_writer *w, struct ncmig_save_report *r);

/* ==== The xen_ncmig netlink client (nl_parse.c, nl.c, nl_ops.c) ==== */

/*
 * ncmigd's side of the xen_ncmig generic netlink family
 * (include/uapi/linux/xen_ncmig.h).
 *
 * nl_parse.c turns the kernel's bytes into the structs below and checks
 * every length on the way (tests/fuzz/fuzz_nl_reply.c feeds it garbage);
 * nl.c owns the socket; nl_ops.c has one call per operation.
 */

#define NCMIG_NL_TEXT_MAX		256	/* extack and event messages */
#define NCMIG_NL_NODENAME_MAX		64
#define NCMIG_NL_DEVS_MAX		256	/* DEVICE nests in one message */

/* One DEVICE nest; has_* says which attributes were present. */
struct ncmig_nl_dev {
	uint32_t kind, devid;
	char nodename[NCMIG_NL_NODENAME_MAX];
	uint32_t state, nr_rings, inflight, pgrants, dropped;
	bool bound, quiesced, released;
	uint64_t drain_ns, start_ns, done_ns, blackout_ns;
	bool has_kind, has_devid, has_state, has_blackout;
	/*
	 * enum xen_ncmig_dev_left, 0 if absent: the device left the handover
	 * (gone, closed, reconnected by its driver) and was not attached
	 * from its record; @left_after_ns from its quiesce or release to
	 * then (0: unknown).
	 */
	uint32_t left;
	uint64_t left_after_ns;
};

/* One message of the family, parsed. */
struct ncmig_nl_reply {
	uint8_t cmd;
	bool has_domid, has_state, has_event, has_err, has_deadline, has_end;
	uint32_t domid, state, owner, deadline_ms, event;
	uint32_t end_state;		/* ENDED_GET: enum xen_ncmig_end_state */
	int32_t err;
	uint64_t ts_ns;
	char message[NCMIG_NL_TEXT_MAX];
	/* XEN_NCMIG_A_RECORD: points into the message being parsed. */
	const unsigned char *record;
	uint32_t record_len;
	unsigned int nr_devs;
	struct ncmig_nl_dev devs[NCMIG_NL_DEVS_MAX];
};

/* How a request ended, as the kernel (or the parser) said. */
struct ncmig_nl_status {
	int err;			/* 0 or a negative errno */
	char msg[NCMIG_NL_TEXT_MAX];		/* extack message, or parser's */
};

/* The family as CTRL_CMD_GETFAMILY describes it. */
struct ncmig_nl_family {
	uint16_t id;
	uint32_t version;
	uint32_t events_grp;		/* 0 if absent */
};

/* ---- parsing (nl_parse.c): pure functions over bytes ---- */

/*
 * Parse one message of the family (after its nlmsghdr) into @r. Returns 0
 * or -EBADMSG with @why set. Unknown attributes are skipped; known ones
 * must have exactly their size.
 */
int ncmig_nl_parse_reply(const void *payload, size_t len, struct ncmig_nl_reply *r,
		   char *why, size_t why_len);

/* Parse a CTRL_CMD_NEWFAMILY message (after its nlmsghdr). */
int ncmig_nl_parse_family(const void *payload, size_t len, const char *grp_name,
		    struct ncmig_nl_family *f, char *why, size_t why_len);

/* Called for every message of @type; returns 0 or a negative errno. */
typedef int (*ncmig_nl_msg_cb)(const void *payload, size_t len, void *arg,
			 struct ncmig_nl_status *st);

/*
 * Walk one datagram of replies to request @seq. Calls @cb for messages of
 * @type. Returns 1 if more datagrams follow, 0 when the request is
 * answered (ACK or NLMSG_DONE), -1 on an error (@st says which).
 */
int ncmig_nl_process(const void *buf, size_t len, uint32_t seq, uint16_t type,
	       ncmig_nl_msg_cb cb, void *arg, struct ncmig_nl_status *st);

/* ---- the socket (nl.c) ---- */

struct ncmig_nl_sock;

/* Open a socket and resolve the family; NULL with @st set on failure. */
struct ncmig_nl_sock *ncmig_nl_open(struct ncmig_nl_status *st);
void ncmig_nl_close(struct ncmig_nl_sock *nl);
const struct ncmig_nl_family *ncmig_nl_family(const struct ncmig_nl_sock *nl);
uint32_t ncmig_nl_portid(const struct ncmig_nl_sock *nl);

/*
 * Send @attrs (@attrs_len octets of attributes, already laid out) as
 * command @cmd; a dump if @dump. Calls @cb per reply message. Returns 0
 * or a negative errno with @st set.
 */
int ncmig_nl_request(struct ncmig_nl_sock *nl, uint8_t cmd, bool dump, const void *attrs,
	       size_t attrs_len, ncmig_nl_msg_cb cb, void *arg,
	       struct ncmig_nl_status *st);

/* Join the "events" group; then ncmig_nl_recv_event() blocks for one event. */
int ncmig_nl_join_events(struct ncmig_nl_sock *nl, struct ncmig_nl_status *st);
/* 1 with @r filled, 0 on timeout, negative errno on failure. */
int ncmig_nl_recv_event(struct ncmig_nl_sock *nl, int timeout_ms, struct ncmig_nl_reply *r,
		  struct ncmig_nl_status *st);

/* ---- operations (nl_ops.c) ---- */

/* QUIESCE; @r gets the reply (one DEVICE per device). */
int ncmig_nl_quiesce(struct ncmig_nl_sock *nl, uint16_t domid, uint32_t timeout_ms,
	       uint32_t deadline_ms, struct ncmig_nl_reply *r, struct ncmig_nl_status *st);

/* SNAPSHOT: @cb is called with each device's record. */
typedef int (*ncmig_nl_record_cb)(uint32_t kind, uint32_t devid, const void *rec,
			    size_t len, void *arg);
int ncmig_nl_snapshot(struct ncmig_nl_sock *nl, uint16_t domid, ncmig_nl_record_cb cb,
		void *arg, struct ncmig_nl_status *st);

int ncmig_nl_release(struct ncmig_nl_sock *nl, uint16_t domid, struct ncmig_nl_reply *r,
	       struct ncmig_nl_status *st);
int ncmig_nl_resume(struct ncmig_nl_sock *nl, uint16_t domid, struct ncmig_nl_reply *r,
	      struct ncmig_nl_status *st);
/* RESTORE from @nr records (may be 0 for a session with no device). */
int ncmig_nl_restore(struct ncmig_nl_sock *nl, uint16_t domid, const void *const *recs,
	       const size_t *lens, unsigned int nr, struct ncmig_nl_reply *r,
	       struct ncmig_nl_status *st);

/* SESSION_GET of @domid: -ENOENT when it has no session (any more). */
int ncmig_nl_session(struct ncmig_nl_sock *nl, uint16_t domid,
		     struct ncmig_nl_reply *r, struct ncmig_nl_status *st);

/* SESSION_GET and DEV_GET dumps; @cb sees each parsed message. */
typedef int (*ncmig_nl_reply_cb)(const struct ncmig_nl_reply *r, void *arg);
int ncmig_nl_sessions(struct ncmig_nl_sock *nl, ncmig_nl_reply_cb cb, void *arg,
		struct ncmig_nl_status *st);
/* @domid < 0: every domain's devices. */
int ncmig_nl_devices(struct ncmig_nl_sock *nl, int domid, ncmig_nl_reply_cb cb, void *arg,
	       struct ncmig_nl_status *st);
/*
 * ENDED_GET dump: the last sessions that ended (the kernel keeps 16),
 * oldest first; -EOPNOTSUPP from a kernel without it.
 */
int ncmig_nl_ended(struct ncmig_nl_sock *nl, ncmig_nl_reply_cb cb, void *arg,
		   struct ncmig_nl_status *st);

/* "quiesced", "released", ... for enum xen_ncmig_session_state. */
const char *ncmig_nl_state_name(uint32_t state);
/* "quiesced", "auto-resumed", ... for enum xen_ncmig_event_kind. */
const char *ncmig_nl_event_name(uint32_t event);
/* "resumed", "restored", "auto-resumed", ... for enum xen_ncmig_end_state. */
const char *ncmig_nl_end_name(uint32_t end);
/* "gone", "closed", "reconnected" for enum xen_ncmig_dev_left. */
const char *ncmig_nl_left_name(uint32_t left);

/*
 * Tests: a stand-in for the kernel.  When ncmig_nl_test_transport is set,
 * every socket ncmig_nl_open() makes sends its requests to send() and reads
 * the replies from recv() (octets or a negative errno; -EAGAIN: no
 * event yet) instead of a netlink socket.  Unit and fuzz builds are
 * compiled with NCMIGD_NO_KERNEL: without a transport, ncmig_nl_open() fails
 * with -ENOENT and opens no socket, so no test can reach a real kernel
 * (as XENSTORED_PATH keeps them from a real xenstored).
 */
struct ncmig_nl_transport {
	int (*send)(void *ctx, const void *buf, size_t len);
	ssize_t (*recv)(void *ctx, void *buf, size_t cap);
	void *ctx;
};
extern const struct ncmig_nl_transport *ncmig_nl_test_transport;

/* ==== The handover engine (handover.c) ==== */

/*
 * Hand the backends of one or more domains over to a new backend
 * instance on this host (a live update of dom0's backends), phase by
 * phase over all of them, on one netlink socket:
 *
 *   QUIESCE all, SNAPSHOT all (a stream each), RELEASE all,
 *   [RELOAD the backend modules they use, once], RESTORE all.
 *
 * The engine owns the order and the recovery: a failure before RELEASE
 * resumes every domain in place, a failure in RELEASE restores the
 * released ones from their streams, and from RELOAD on every domain is
 * restored (RESTORE is tried twice) and reported on its own.  Nothing is
 * left quiesced or released when ncmig_ho_run() returns, except a domain
 * whose RESTORE the kernel refused (it is reported; the kernel's
 * watchdog resumes it).
 */
#define NCMIG_HO_DOMS_MAX	64

enum ncmig_ho_phase {
	NCMIG_HO_OPEN,		/* opening the socket, resolving the family */
	NCMIG_HO_QUIESCE,
	NCMIG_HO_SNAPSHOT,
	NCMIG_HO_RELEASE,
	NCMIG_HO_RELOAD,
	NCMIG_HO_RESTORE,
	NCMIG_HO_RESUME,	/* ncmig_ho_checkpoint()'s last */
	NCMIG_HO_NONE,		/* ncmig_ho.failed: nothing failed */
};

/* Which way a run went (bits of ncmig_ho.paths). */
enum ncmig_ho_path {
	NCMIG_HO_PATH_OK,			/* every phase, every domain */
	NCMIG_HO_PATH_OPEN_FAIL,		/* no socket or no family */
	NCMIG_HO_PATH_QUIESCE_FAIL_FIRST,	/* nothing else to resume */
	NCMIG_HO_PATH_QUIESCE_FAIL_LATER,	/* the ones before resumed */
	NCMIG_HO_PATH_SNAPSHOT_FAIL,		/* the kernel failed it */
	NCMIG_HO_PATH_SNAPSHOT_RECORD,		/* a record the writer refused */
	NCMIG_HO_PATH_RELEASE_FAIL,
	NCMIG_HO_PATH_RECOVER_RESUME,		/* resumed in place */
	NCMIG_HO_PATH_RECOVER_RESUME_GONE,	/* no session left: -ENOENT */
	NCMIG_HO_PATH_RECOVER_RESUME_FAIL,
	NCMIG_HO_PATH_RECOVER_RESTORE,		/* restored from the records */
	NCMIG_HO_PATH_RECOVER_RESTORE_FAIL,
	NCMIG_HO_PATH_RELOAD_BUSY,		/* rmmod failed, users named */
	NCMIG_HO_PATH_RELOAD_BUSY_UNKNOWN,	/* rmmod failed, users unknown */
	NCMIG_HO_PATH_RELOAD_LOAD_FAIL,		/* insmod or modprobe failed */
	NCMIG_HO_PATH_RELOAD_REFUSED,		/* a new module failed its check */
	NCMIG_HO_PATH_RELOAD_ROLLBACK,		/* the previous one loaded again */
	NCMIG_HO_PATH_RELOAD_ROLLBACK_FAIL,	/* and that failed too, or none */
	NCMIG_HO_PATH_RESTORE_RETRY,		/* RESTORE failed once */
	NCMIG_HO_PATH_RESTORE_FAIL,		/* RESTORE failed twice */
	NCMIG_HO_PATH_RESTORE_ENDED,		/* failed, its session ended: no retry */
	NCMIG_HO_PATH_RESTORE_LEFT,		/* restored, a device had left */
	NCMIG_HO_PATH_CHECKPOINT_RESUME_FAIL,	/* a checkpoint's RESUME */
	NCMIG_HO_PATHS
};

struct ncmig_ho;
struct ncmig_mod;
#define NCMIG_HO_MODS	2	/* xen-blkback, xen-netback */

/* One domain of a run, and what the kernel said about it. */
struct ncmig_ho_dom {
	uint16_t domid;
	int err;			/* RESTORE: 0 or -EIO */
	bool released;			/* RELEASE was sent */
	bool restored;
	bool refused;			/* SNAPSHOT: the writer refused a record */
	struct ncmig_nl_status st;	/* the last failed step's */
	struct ncmig_nl_reply *quiesce;	/* per device drain, start */
	struct ncmig_nl_reply *restore;	/* per device done, blackout */
	struct ncmig_writer w;		/* its backend records, a stream */
	unsigned int nr_records;
	uint64_t t_start, t_end;	/* QUIESCE sent, RESTORE answered */
	bool quiesced;			/* QUIESCE answered well */
	/*
	 * RESTORE answered, but these devices of it had left the handover
	 * (gone, closed, reconnected by their driver: restore->devs[].left)
	 * and were not attached from their records: not handed over.
	 */
	unsigned int nr_left;
	/* The socket that owns its session: its own in a parallel run. */
	struct ncmig_nl_sock *nl;
};

struct ncmig_ho_opts {
	bool reload;			/* rmmod and load the modules once */
	const char *module_dir;		/* insmod DIR/xen-*back.ko, else modprobe */
	const char *sysfs_root;		/* tests: a tree for /sys; NULL: /sys */
	uint32_t timeout_ms;		/* QUIESCE drain bound, 0: kernel's */
	uint32_t deadline_ms;		/* resume by itself if not released */
	uint32_t hold_ms;		/* tests: wait before RESTORE */
	unsigned int restore_retry_ms;	/* before the second RESTORE; 0: 200 */
	/* Run a command (rmmod, insmod, modprobe); its exit status.  NULL:
	 * fork and exec it.
	 */
	int (*run)(char *const argv[], void *arg);
	/* Run one (modinfo) for its stdout, into @out (@cap, NUL-ended);
	 * its exit status.  NULL: fork and exec it.
	 */
	int (*capture)(char *const argv[], char *out, size_t cap, void *arg);
	const char *kernel_release;	/* tests: uname -r; NULL: uname()'s */
	/* A phase begins (@begin) or has ended well for every domain. */
	void (*phase)(const struct ncmig_ho *ho, enum ncmig_ho_phase p,
		      bool begin, void *arg);
	/* A domain is restored (in the order of the run). */
	void (*restored)(const struct ncmig_ho *ho,
			 const struct ncmig_ho_dom *d, void *arg);
	void *arg;
};

struct ncmig_ho {
	struct ncmig_ho_opts o;
	struct ncmig_nl_sock *nl;
	bool own_nl;			/* opened by ncmig_ho_run() */
	struct ncmig_nl_status open_st;
	unsigned int n;
	struct ncmig_ho_dom *doms;
	/* Domains whose every device was restored, and devices restored. */
	unsigned int nr_ok, nr_devs;
	unsigned int nr_left;		/* devices that had left (dom.nr_left) */
	uint64_t t0;
	enum ncmig_ho_phase failed;	/* the first phase that failed */
	unsigned int paths;		/* 1 << enum ncmig_ho_path */
	/* Each phase runs for every domain at once (own sockets, threads). */
	bool parallel;
	struct ncmig_mod *mods;		/* a reload's modules (reload_mod.h) */
};

/*
 * @n distinct domids (1..NCMIG_HO_DOMS_MAX); @o may be NULL; @nl NULL:
 * ncmig_ho_run() opens (and ncmig_ho_fini() closes) its own socket.
 * 0, -EINVAL or -ENOMEM.
 */
int ncmig_ho_init(struct ncmig_ho *ho, const uint16_t *domids, unsigned int n,
		  const struct ncmig_ho_opts *o, struct ncmig_nl_sock *nl);
/*
 * The whole handover: 0 or the first failure's negative errno; -ENOLINK
 * when nothing failed but some device had left the handover (ho.nr_left,
 * each named on stderr): its frontend was not handed over.
 */
int ncmig_ho_run(struct ncmig_ho *ho);
/*
 * A checkpoint instead (what `ncmigd save --backends` takes): QUIESCE
 * all, SNAPSHOT all, RESUME all, so that each domain's stream (doms[i].w)
 * holds records with no request in flight and the guests go on.  A
 * failure before RESUME resumes every domain as ncmig_ho_run() does; a
 * RESUME that fails is reported and the others are still resumed (the
 * kernel's watchdog resumes the failed one).  ho.o.reload, .hold_ms and
 * .restored are not used.  0 or the first failure's negative errno.
 */
int ncmig_ho_checkpoint(struct ncmig_ho *ho);
void ncmig_ho_fini(struct ncmig_ho *ho);
const char *ncmig_ho_phase_name(enum ncmig_ho_phase p);

/* ==== The one clock every duration is taken on (clock.c) ==== */

/* CLOCK_MONOTONIC in ns: the kernel's replies carry times on it too. */
uint64_t ncmig_now_ns(void);

/* ==== A guest suspended on us: a short real-time stretch (urgent.c) ==== */

struct ncmig_urgent {
	int policy, priority;	/* what to go back to */
	bool can, raised, paused;
	int fd;			/* /proc/thread-self/schedstat */
	uint64_t run_delay0, cpu0;
};

/* Once, before any window (the thread's policy then is gone back to). */
void ncmig_urgent_prepare(struct ncmig_urgent *u);
void ncmig_urgent_release(struct ncmig_urgent *u);
/*
 * Until ncmig_urgent_end(): SCHED_FIFO at priority 1, not inherited by
 * children.  Negative errno if it could not be raised (no CAP_SYS_NICE,
 * already real-time, NCMIG_NO_REALTIME set): the stretch then runs as
 * before, and _end() still counts.
 */
int ncmig_urgent_begin(struct ncmig_urgent *u);
/*
 * Raised ahead of a window known to come (_begin() then only counts): 1
 * if raised now, 0 if it was already, negative errno as _begin().
 */
int ncmig_urgent_raise(struct ncmig_urgent *u);
/* Back to the policy before for a wait on another process, and again up. */
void ncmig_urgent_pause(struct ncmig_urgent *u);
void ncmig_urgent_resume(struct ncmig_urgent *u);
/* Back to the policy before; the run-queue wait and CPU time between (us). */
void ncmig_urgent_end(struct ncmig_urgent *u, uint64_t *runq_us,
		      uint64_t *cpu_us);

/* ==== Rolling update of the backends (roll.c) ==== */

/*
 * Each backend has two slots, two modules of one source loaded side by
 * side for the update: xen-blkback (driver "vbd") and xen-blkback-b
 * ("vbd-b"), xen-netback ("vif") and xen-netback-b ("vif-b").  A run
 * loads the slot that is not running beside the one that is, moves the
 * devices over, a batch of domains at a time, each with its own plain
 * handover, and unloads the old slot once it serves nothing (roll.c).
 */
#define NCMIG_ROLL_SLOTS	2
#define NCMIG_ROLL_NAME_MAX	32

struct ncmig_roll;

struct ncmig_roll_opts {
	/*
	 * Each batch's handover: timeout_ms, deadline_ms, the callbacks
	 * (phase, restored, run, capture, arg) and the tests' sysfs_root and
	 * kernel_release; reload and module_dir are not used.
	 */
	struct ncmig_ho_opts ho;
	const char *module_dir;	/* the new slot from DIR/FILE.ko, else modprobe */
	unsigned int batch;	/* domains per handover; 0: 1 */
	/* tests: instead of the engine, a batch's handover; 0 or -errno */
	int (*handover)(struct ncmig_roll *r, const uint16_t *domids,
			unsigned int n, void *arg);
	/* A batch was moved (@err 0) or stopped the rollout. */
	void (*step)(const struct ncmig_roll *r, const uint16_t *domids,
		     unsigned int n, int err, void *arg);
	void *arg;		/* for handover and step */
};

struct ncmig_roll_kind {
	uint32_t kind;			/* XEN_NCMIG_KIND_* */
	bool active;			/* has a backend loaded (or devices) */
	char old_mod[NCMIG_ROLL_NAME_MAX], new_mod[NCMIG_ROLL_NAME_MAX];
	char old_drv[NCMIG_ROLL_NAME_MAX], new_drv[NCMIG_ROLL_NAME_MAX];
	bool loaded_new;		/* this run loaded the new slot */
	bool old_unloaded;
	unsigned int left;		/* devices still on the old driver */
};

struct ncmig_roll {
	struct ncmig_roll_opts o;
	struct ncmig_roll_kind k[2];	/* vbd, vif */
	unsigned int nr_doms;		/* with devices on an old driver */
	unsigned int nr_moved_doms, nr_moved;	/* domains, devices moved */
	bool old_unloaded;		/* every active kind's */
	int failed_domid;		/* the batch that stopped it, or -1 */
	bool more;			/* in step(): another batch follows */
	uint64_t max_blackout_ns;	/* of the engine's restored devices */
	uint64_t t0, t_end;
};

/*
 * The whole rolling update: 0 once every old slot was unloaded; -EBUSY
 * if all went well but some device could not be moved (named) and keeps
 * its old module loaded; else the failure that stopped it (said): the
 * domains moved stay on the new slot, the others on the old one.
 */
int ncmig_roll_run(struct ncmig_roll *r, const struct ncmig_roll_opts *o);

/* ==== Backend state for save and restore (backends.c) ==== */

/*
 * Hooks between the stream commands (save, restore) and the kernel's
 * xen_ncmig family.  backends.c holds the versions used until the
 * netlink side fills them in (kernel-core: replace backends.c's bodies
 * with calls into nl*.c; keep these signatures).
 */

/*
 * 1 if the xen_ncmig family is present and @domid has a quiesced session
 * whose devices can be snapshotted now, 0 if not (the stream then says
 * in its DOMAIN record that it carries no backend state), or a negative
 * errno.
 */
int ncmig_backends_probe(uint16_t domid);

/*
 * Write one BACKEND record per device of @domid with
 * ncmig_write_backend(), from a checkpoint (ncmig_ho_checkpoint()).
 * Returns how many, or a negative errno.
 */
int ncmig_backends_write(uint16_t domid, struct ncmig_writer *w);

/*
 * Hand the stream's validated BACKEND records to the kernel for @domid
 * (XEN_NCMIG_CMD_RESTORE).  Returns how many were attached, or a negative
 * errno (-EOPNOTSUPP if this ncmigd cannot reach the family).
 */
int ncmig_backends_restore(uint16_t domid, const struct ncmig_stream *s);

/*
 * What the verbs call: the functions above by default; tests put fakes
 * here so that no unit test reaches the kernel.
 */
struct ncmig_backends_ops {
	int (*probe)(uint16_t domid);
	int (*write)(uint16_t domid, struct ncmig_writer *w);
	int (*restore)(uint16_t domid, const struct ncmig_stream *s);
	/* 0 if the xen_ncmig family answers, -EOPNOTSUPP if it is absent */
	int (*family)(void);
};
extern const struct ncmig_backends_ops *ncmig_backends;
int ncmig_backends_family(void);

/* ==== The splice filter: the stream inside xl's migration stream (splice_filter.c) ==== */

/*
 * Carrying an ncmig stream inside `xl migrate`'s transport
 * (doc/stream-format.md, "Inside xl migrate").
 *
 * What xl writes to its transport: xl's save-file header and optional
 * data (tools/xl/xl.h), a libxl stream v2 (docs/specs/
 * libxl-migration-stream.pandoc) whose LIBXC_CONTEXT record is followed
 * inline by a libxc stream (libxc-migration-stream.pandoc), libxl's END,
 * then xl's handshake messages.  The filter walks that structure record
 * by record, copying it through:
 *
 *  - send: just before libxc's END (the domain is suspended by then) it
 *    inserts one optional libxc record of type NCMIG_SPLICE_REC_TYPE: a
 *    24-octet envelope (ident, version, length, capture time, CRC-32C)
 *    and a whole ncmig stream.  An unmodified receiver's libxc skips it
 *    (bit 31: "Ignoring optional record", xg_sr_restore.c);
 *  - recv: it validates that record in full (envelope, checksum,
 *    padding, then the found hook) before passing anything after it on,
 *    removes it and hands the ncmig stream on.  A libxl-layer record of
 *    NCMIG_SPLICE_LEGACY_TYPE (what an older send inserted before
 *    libxl's END) is removed and handed on likewise.
 *
 * Checkpointed streams (Remus, COLO): send inserts one record per
 * checkpoint, just before libxc's CHECKPOINT (the domain suspended);
 * recv removes each, and hands a set on (complete) only once its
 * checkpoint's CHECKPOINT_END has passed.  Never a second END.
 *
 * Anything it does not recognise (a big-endian stream, a legacy stream,
 * records out of their place) stops the migration with an error rather
 * than passing through something it may have misread.
 */

/* libxc record type of the inserted record ("NCMG" with bit 31 set). */
#define NCMIG_SPLICE_REC_TYPE	0xce434d47U
/* The same number as a libxl record: the layout before the libxc one. */
#define NCMIG_SPLICE_LEGACY_TYPE	0xce434d47U
/* The envelope ahead of the ncmig stream in NCMIG_SPLICE_REC_TYPE. */
#define NCMIG_SPLICE_OPT_HDR_LEN	24

struct ncmig_splice_hooks {
	/*
	 * send: called when libxc's END arrives; return a malloc()ed ncmig
	 * stream in *buf and *len to insert (the filter frees it), or an errno.
	 */
	int (*at_end)(void *arg, unsigned char **buf, size_t *len);
	/*
	 * Both: xl's optional data (a u32 length and the domain's config
	 * as JSON, tools/xl/xl_saverestore.c), read whole (at most
	 * NCMIG_SPLICE_CONFIG_MAX octets) before it is passed on.
	 */
	int (*config)(void *arg, const unsigned char *buf, size_t len);
	/*
	 * send: called after each libxc record passed on before the one
	 * at_end is called for, the guest still running (until its last
	 * memory pass): keep what at_end will need current.  Errors are
	 * the hook's to handle (it returns nothing).
	 */
	void (*tick)(void *arg);
	/*
	 * send: an fd that is readable when tick has something to do (or
	 * -1): while the filter waits for xl's stream (libxl suspending the
	 * guest, libxc between passes) it waits on this one too and ticks.
	 */
	int (*tick_fd)(void *arg);
	/*
	 * recv: the inserted record's ncmig stream, found and removed
	 * (validate it here: nothing after the record is passed on before
	 * this returns 0).  Once per checkpoint in a checkpointed stream.
	 */
	int (*found)(void *arg, const unsigned char *buf, size_t len);
	/*
	 * recv: the record last found is a complete set: its checkpoint's
	 * CHECKPOINT_END (or, in a plain stream, libxc's END) has passed.
	 * A set whose checkpoint never completes is never completed.
	 */
	int (*complete)(void *arg);
	void *arg;
	/* Both: COLO (CHECKPOINT_STATE after each CHECKPOINT_END). */
	bool colo;
	/*
	 * recv: pass the (validated) optional libxc record on instead of
	 * removing it; the receiver's libxc skips it.  A libxl-layer record
	 * of an older send is always removed (libxl would fail on it).
	 */
	bool leave;
	/* send: in a checkpointed stream, insert in the first one only. */
	bool first_checkpoint_only;
};

struct ncmig_splice_stats {
	uint64_t in_octets, out_octets;
	uint32_t libxl_records, libxc_records, libxc_streams;
	uint32_t inserted, removed, legacy;	/* removed: found (and, */
	uint32_t left;				/* unless left, taken out) */
	uint64_t stream_octets;	/* of the ncmig stream inserted or removed */
	/*
	 * send: capture_us is at_end's time, added_us the time from libxc's
	 * END arriving to its being passed on (what xl's suspend window
	 * grows by on this side), less the time the receiver then still
	 * took for the octets queued before END (backlog_octets at most,
	 * taken in backlog_us after END arrived): it needs that time with
	 * or without our record.  raw_added_us counts it in.  recv:
	 * capture_us is what the sender stored, added_us (= raw_added_us)
	 * the time validating the record took after its last octet arrived
	 * (END waits for it).
	 */
	uint64_t capture_us, added_us, raw_added_us;
	uint64_t backlog_octets, backlog_us;
	/*
	 * Of added_us, the time on the CPU and runnable but not running
	 * (urgent.c); not_urgent: the stretch could not be made real-time.
	 */
	uint64_t runq_us, cpu_us;
	bool not_urgent;
	/*
	 * Windows whose real-time stretch was raised ahead, on a record
	 * libxc writes only once the domain is suspended (TSC_INFO, ...).
	 */
	uint32_t raised_early;
	/*
	 * Checkpointed streams: libxc CHECKPOINT records seen, checkpoints
	 * completed (CHECKPOINT_END), sets handed on as complete, and
	 * whether the stream was cut short (the primary stopped: its normal
	 * end, not an error).  added_us is then the longest of them.
	 */
	uint32_t checkpoint_records, checkpoints, complete_sets;
	uint32_t cut_short;
	/* Octets of our records put in (send) or taken out (recv). */
	uint64_t inserted_octets, removed_octets;
	/*
	 * The output's reader went away after libxl's END, during xl's
	 * handshake: the receiving side ended (it took the whole stream, or
	 * refused it); the end of the filter's work, not an error.
	 */
	uint32_t receiver_gone;
};

/*
 * Copy xl's migration stream from @in to @out, inserting or removing as
 * the hooks say, up to end of file.  Returns 0 or a negative errno with
 * @msg (of @cap octets) saying what and at which input offset.
 */
int ncmig_splice_filter(int in, int out, const struct ncmig_splice_hooks *h,
			struct ncmig_splice_stats *st, char *msg, size_t cap);

#define NCMIG_SPLICE_CONFIG_MAX	(1024 * 1024)

/* ==== The domains with backends on this host (backend_domains.c) ==== */

/*
 * The distinct domids (sorted) that have a vbd or vif backend device in
 * @dir (NULL: /sys/bus/xen-backend/devices) into @domids: their number,
 * -E2BIG if more than @cap, or -errno.
 */
int ncmig_backend_domains(const char *dir, uint16_t *domids, unsigned int cap);

/* ==== Messages and small helpers (msg.c) ==== */

/*
 * Every error the library reports goes through one callback, as one
 * message naming the domain and the device.  By default (and after
 * ncmig_set_err_cb(NULL, NULL)) it is written to stderr as the line
 * "ncmigd: " + line + "\n" ("ncmigd: d5 vbd 51712: ..."): the CLI's
 * messages are the library's.  A toolstack sets its own to log them its
 * way.  The strings live only during the call.
 */
struct ncmig_msg {
	int domid;		/* -1: not about one domain */
	const char *kind;	/* "vbd", "vif", ...; NULL: not one device */
	uint32_t devid;		/* with kind */
	const char *text;	/* the message alone */
	const char *line;	/* "d5 vbd 51712: text", "d5: text" or "text" */
};
typedef void (*ncmig_err_fn)(const struct ncmig_msg *m, void *arg);
/* Where errors go from now on: @fn(m, @arg); NULL: stderr again. */
void ncmig_set_err_cb(ncmig_err_fn fn, void *arg);

/* Highest domid a guest can have (DOMID_FIRST_RESERVED - 1). */
#define NCMIG_DOMID_MAX	0x7fefU

/* Report an error (default: "ncmigd: ...\n" on stderr). */
void ncmig_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "ncmigd: d<domid>: ...\n" */
void ncmig_dom_err(unsigned int domid, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "ncmigd: d<domid> <kind> <devid>: ...\n"; kind is "vbd" or "vif". */
void ncmig_dev_err(unsigned int domid, const char *kind, uint32_t devid,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* "vbd", "vif" or "kind<N>" for enum xen_ncmig_dev_kind. */
const char *ncmig_kind_name(unsigned int kind);

/* Whole-buffer I/O, restarted on EINTR and short counts; 0 or -errno.
 * ncmig_read_all returns -ENODATA at end of file.
 */
int ncmig_write_all(int fd, const void *buf, size_t len);
int ncmig_read_all(int fd, void *buf, size_t len);

/*
 * This host's identity for a stream's DOMAIN record: dom0's
 * /etc/machine-id (32 hex digits), or the file NCMIGD_HOST_ID_FILE
 * names (tests).  0, -ENOENT, -EINVAL.
 */
int ncmig_host_id(unsigned char id[16]);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" or 32 hex digits. */
int ncmig_parse_uuid(const char *s, size_t len, unsigned char out[16]);

#ifdef __cplusplus
}
#endif

#endif /* NCMIG_H */
