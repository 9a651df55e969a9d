// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for what ncmigd parses from the kernel on the
 * xen_ncmig family (user/lib/nl_parse.c): whole datagrams of replies
 * (family messages, NLMSG_ERROR with extack, NLMSG_DONE), and the
 * controller's family description.
 *
 * The first octet picks the parser; the rest is the input, copied to an
 * aligned buffer as recvmsg() would give it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ncmig.h"

#define FUZZ_FAMILY	0x1d	/* any id: the seeds use it */
#define FUZZ_SEQ	7

static struct ncmig_nl_reply reply;

static int parse_cb(const void *payload, size_t len, void *arg,
		    struct ncmig_nl_status *st)
{
	(void)arg;
	return ncmig_nl_parse_reply(payload, len, &reply, st->msg, sizeof(st->msg));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncmig_nl_family fam;
	struct ncmig_nl_status st;
	char why[NCMIG_NL_TEXT_MAX];
	void *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		ncmig_nl_process(buf, size - 1, FUZZ_SEQ, FUZZ_FAMILY, parse_cb, NULL,
			   &st);
		break;
	case 1:
		ncmig_nl_parse_reply(buf, size - 1, &reply, why, sizeof(why));
		break;
	case 2:
		ncmig_nl_parse_family(buf, size - 1, "events", &fam, why,
				sizeof(why));
		break;
	}
	free(buf);
	return 0;
}
