/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* ncmigd: a process that works inside a guest's suspend window. */
#ifndef NCMIGD_SUSPEND_WINDOW_H
#define NCMIGD_SUSPEND_WINDOW_H

#include <stdint.h>

/*
 * Before the window opens: fault in now what the window would otherwise
 * fault in page by page (suspend_window.c says why).  Best effort; says
 * on stderr (as @who) what it could not do.  Returns how long the
 * stream code's warm-up took (us).
 */
uint64_t ncmigd_window_prefault(const char *who);

#endif /* NCMIGD_SUSPEND_WINDOW_H */
