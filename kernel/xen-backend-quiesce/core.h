/* SPDX-License-Identifier: GPL-2.0 */
/* Core set-up called by main.c; the API itself is in xbq_api.h. */
#ifndef XBQ_CORE_H
#define XBQ_CORE_H

void xbq_core_init(void);

#endif /* XBQ_CORE_H */
