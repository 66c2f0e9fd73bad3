/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RS_LOG_H
#define RS_LOG_H

#include <stdio.h>

/* Control-plane logging (never called per packet). */
#define rs_log(fmt, ...) fprintf(stderr, "ringstackd: " fmt "\n", ##__VA_ARGS__)

/* The last error of a control-plane call on this thread, one line, for
 * ringctl's message. Functions returning -errno set it when they have more
 * to say than strerror(). */
void rs_err_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *rs_err_get(void);
void rs_err_clear(void);

#endif
