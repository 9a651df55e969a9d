/* SPDX-License-Identifier: GPL-2.0 */
/* Core set-up called by main.c; the API itself is in xbq_api.h. */
#ifndef XBQ_CORE_H
#define XBQ_CORE_H

#include <linux/types.h>

struct device;

void xbq_core_init(void);
void xbq_core_exit(void);

#ifdef NCMIG_TEST_HOOKS
/*
 * Test-only knobs (debugfs xen-backend-quiesce/), compiled into the lab's
 * build only, that widen race windows so a lab scenario can hit them.
 */
int xbq_test_init(void);
void xbq_test_exit(void);
/* Sleep for the keep_store_delay_ms knob, between release and store. */
void xbq_test_keep_store_delay(struct device *dev);
/* How far the attach_rsp_skew_devid knob moves vbd @devid's rsp_prod. */
u32 xbq_test_rsp_skew(u32 devid);
#else
static inline int xbq_test_init(void) { return 0; }
static inline void xbq_test_exit(void) { }
static inline void xbq_test_keep_store_delay(struct device *dev) { }
static inline u32 xbq_test_rsp_skew(u32 devid) { return 0; }
#endif

#endif /* XBQ_CORE_H */
