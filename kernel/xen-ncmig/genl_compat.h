/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The genetlink API differences between the kernels ncmig builds for
 * (Debian's 6.1 and 6.12), kept here so that netlink.c reads as one
 * version of the code. Kbuild probes the headers for each one.
 */
#ifndef _NCMIG_GENL_COMPAT_H
#define _NCMIG_GENL_COMPAT_H

#include <net/genetlink.h>

/*
 * 6.2 split each genl_ops into a do and a dump half ("genetlink:
 * introduce split op representation"): pre_doit takes the half.
 */
#ifdef NCMIG_GENL_SPLIT_PRE_DOIT
#define ncmig_genl_pre_ops genl_split_ops
#else
#define ncmig_genl_pre_ops genl_ops
#endif

/*
 * 6.6 gave dumps a whole struct genl_info ("genetlink: use struct
 * genl_info for dumps"), read with genl_info_dump(); before, the parsed
 * attributes sat in genl_dumpit_info itself.
 */
static inline struct nlattr **ncmig_dump_attrs(struct netlink_callback *cb)
{
#ifdef NCMIG_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#endif /* _NCMIG_GENL_COMPAT_H */
