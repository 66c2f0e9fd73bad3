/* SPDX-License-Identifier: BSD-3-Clause */
#include "rs_args.h"

#include <stdbool.h>
#include <stddef.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int fail(const char **err, const char *msg)
{
	if (err != NULL)
		*err = msg;
	return -1;
}

/* The write cursor `w` never passes the read cursor `r`: quotes and escape
 * backslashes are dropped, nothing is added, and the NUL ending a word goes
 * where the blank (or the line's own NUL) that ended it was read. */
int rs_args_split(char *line, char **argv, int max_args, const char **err)
{
	char *r = line, *w;
	int argc = 0;

	for (;;) {
		while (is_blank(*r))
			r++;
		if (*r == '\0' || *r == '#')
			break;
		if (argc >= max_args)
			return fail(err, "too many words");
		argv[argc++] = w = r;
		while (*r != '\0' && !is_blank(*r)) {
			if (*r == '\'') {
				r++;
				while (*r != '\'') {
					if (*r == '\0')
						return fail(err, "unterminated quote");
					*w++ = *r++;
				}
				r++;
			} else if (*r == '"') {
				r++;
				while (*r != '"') {
					if (*r == '\0')
						return fail(err, "unterminated quote");
					if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
						r++;
					*w++ = *r++;
				}
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r != '\0')
			r++;	/* past the blank that ended the word */
		*w = '\0';
	}
	if (argc < max_args)
		argv[argc] = NULL;
	return argc;
}
