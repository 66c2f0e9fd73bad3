/* SPDX-License-Identifier: BSD-3-Clause */
#include "rs_log.h"

#include <stdarg.h>

static __thread char err_buf[512];

void rs_err_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
	va_end(ap);
}

const char *rs_err_get(void) { return err_buf; }
void rs_err_clear(void) { err_buf[0] = '\0'; }
