/*
 * test_http.c: the header helpers both ends of real mode parse responses with.
 */
#include <check.h>
#include <string.h>

#include "http.h"

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n"
                           "connection: Keep-Alive, Close\r\nX-Other: close\r\n\r\n";

START_TEST(test_http_find_header_is_case_insensitive)
{
	const char *v = http_find_header(head, strlen(head), "content-length");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(strncmp(v, " 1024", 5), 0);
	ck_assert_ptr_null(http_find_header(head, strlen(head), "Transfer-Encoding"));
	/* a prefix of a header name is not that header */
	ck_assert_ptr_null(http_find_header(head, strlen(head), "Content"));
}
END_TEST

START_TEST(test_http_header_has_token_only_in_that_header)
{
	ck_assert(http_header_has_token(head, strlen(head), "Connection", "close"));
	ck_assert(!http_header_has_token(head, strlen(head), "Content-Length", "close"));
	/* a header without its line end is not read past the buffer */
	static const char cut[] = "HTTP/1.1 200 OK\r\nConnection: clo";
	ck_assert(!http_header_has_token(cut, strlen(cut), "Connection", "close"));
}
END_TEST

Suite *suite_http(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("headers");
	tcase_add_test(tc, test_http_find_header_is_case_insensitive);
	tcase_add_test(tc, test_http_header_has_token_only_in_that_header);
	suite_add_tcase(s, tc);
	return s;
}
