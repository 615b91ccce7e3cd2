/*
 * test_http.c: the header helpers both ends of real mode parse responses with,
 * and the client's incremental response parser.
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

/* Feeds `text` one byte at a time; returns the parser's last answer. */
static int feed_bytewise(struct http_response *r, const char *text)
{
	int done = 0;
	for (size_t i = 0; text[i] && done == 0; i++)
		done = http_response_feed(r, text + i, 1);
	return done;
}

START_TEST(test_http_response_feed_content_length_in_pieces)
{
	struct http_response r;
	http_response_begin(&r);
	ck_assert_int_eq(feed_bytewise(&r, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"), 0);
	ck_assert_int_eq(http_response_feed(&r, "c", 1), 1);
	ck_assert(!r.close);
}
END_TEST

START_TEST(test_http_response_feed_chunked_with_trailer)
{
	struct http_response r;
	http_response_begin(&r);
	static const char text[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	                           "Connection: close\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
	ck_assert_int_eq(http_response_feed(&r, text, strlen(text) - 1), 0);
	ck_assert_int_eq(http_response_feed(&r, "\n", 1), 1);
	ck_assert(r.close);
}
END_TEST

START_TEST(test_http_response_feed_no_length_reads_to_eof)
{
	struct http_response r;
	http_response_begin(&r);
	static const char text[] = "HTTP/1.1 200 OK\r\n\r\nbody";
	ck_assert_int_eq(http_response_feed(&r, text, strlen(text)), 0);
	ck_assert(http_response_ends_at_eof(&r));
	ck_assert(r.close);
	http_response_begin(&r);
	ck_assert_int_eq(feed_bytewise(&r, "FTP/1.1 200 OK\r\n\r\n"), -1);
}
END_TEST

Suite *suite_http(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("headers");
	tcase_add_test(tc, test_http_find_header_is_case_insensitive);
	tcase_add_test(tc, test_http_header_has_token_only_in_that_header);
	suite_add_tcase(s, tc);
	TCase *parser = tcase_create("response parser");
	tcase_add_test(parser, test_http_response_feed_content_length_in_pieces);
	tcase_add_test(parser, test_http_response_feed_chunked_with_trailer);
	tcase_add_test(parser, test_http_response_feed_no_length_reads_to_eof);
	suite_add_tcase(s, parser);
	return s;
}
