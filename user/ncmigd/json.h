/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small streaming JSON writer for --json output.  Commas are placed
 * for you; strings are escaped (quotes, backslash, control characters;
 * bytes that are not valid UTF-8 become \u00XX, i.e. read as Latin-1).
 *
 *	struct json j;
 *	json_init(&j, stdout);
 *	json_obj_begin(&j);
 *	json_key(&j, "domid"); json_u64(&j, 5);
 *	json_obj_end(&j);
 *	json_finish(&j);	// newline; returns -1 if nesting is unbalanced
 */
#ifndef NCMIGD_JSON_H
#define NCMIGD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at depth */
	bool after_key;
	bool broken;			/* misuse: too deep, unbalanced */
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const void *s, size_t len);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Hex string of @len octets ("00a1ff"). */
void json_hex(struct json *j, const void *p, size_t len);
int json_finish(struct json *j);

/* Shorthands for an object member. */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif /* NCMIGD_JSON_H */
