/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command-line tokenizer shared by `ringctl -b` and the daemon's --config
 * file, so both read a line of commands the same way. DPDK-free.
 */
#ifndef RS_ARGS_H
#define RS_ARGS_H

/*
 * Splits `line` in place into words.
 *
 * Words are separated by blanks (space, tab, CR, LF, VT, FF). Within a word:
 *  - 'single quotes' take everything up to the next ' literally;
 *  - "double quotes" do the same, except that \" and \\ stand for " and \
 *    (any other backslash is kept as is);
 *  - quoted and unquoted parts join: a"b c"d is the one word `ab cd`, and
 *    '' or "" is an empty word;
 *  - outside quotes, a backslash is an ordinary character.
 * A `#` at the start of a word (unquoted) begins a comment that runs to the
 * end of the line; elsewhere `#` is ordinary (a#b is one word).
 *
 * @line      NUL-terminated text, rewritten in place; argv[] point into it.
 * @argv      room for max_args pointers; argv[argc] is set to NULL when
 *            argc < max_args.
 * @max_args  the most words accepted.
 * @err       on failure, set to a short static message ("unterminated
 *            quote", "too many words"); may be NULL.
 * @return    the number of words (0 for a blank or comment-only line), or
 *            -1 with *err set. On failure the contents of line and argv are
 *            unspecified.
 */
int rs_args_split(char *line, char **argv, int max_args, const char **err);

#endif
