/*
 * test_kernel.c: the kernel's view of real mode's sockets (kernel.h), checked
 * against sockets the test opens itself to a loopback server (server.h).
 * 127.0.0.1 only; every wait is bounded.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"
#include "scenario.h"
#include "server.h"

struct kfixture {
	struct scenario sc;
	struct host_spec host;
	struct server_set *servers;
	struct kernel_sampler *k;
	uint16_t port;
};

static void kfixture_start(struct kfixture *f, int64_t max_requests)
{
	memset(f, 0, sizeof *f);
	f->sc.seed = 1;
	f->sc.hosts = &f->host;
	f->sc.n_hosts = 1;
	snprintf(f->host.name, sizeof f->host.name, "api");
	f->host.service_time.lo = 1 * PS_MS;
	f->host.server_max_requests = max_requests;
	int err = 0;
	f->servers = server_set_start(&f->sc, 1.0, &err);
	ck_assert_ptr_nonnull(f->servers);
	f->port = server_port(f->servers, 0);
	f->k = kernel_sampler_create(&f->port, 1);
	ck_assert_ptr_nonnull(f->k);
}

static void kfixture_stop(struct kfixture *f)
{
	kernel_sampler_destroy(f->k);
	server_set_stop(f->servers);
}

static int dial(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* One GET; returns once the whole response (header + 1 KiB) has arrived. */
static void one_get(int fd)
{
	const char req[] = "GET / HTTP/1.1\r\nHost: k\r\n\r\n";
	ck_assert_int_eq(send(fd, req, sizeof req - 1, MSG_NOSIGNAL), (ssize_t)sizeof req - 1);
	char buf[4096];
	size_t have = 0, need = SIZE_MAX;
	while (have < need) {
		ck_assert_uint_lt(have, sizeof buf - 1);
		ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
		ck_assert_int_gt(n, 0);
		have += (size_t)n;
		buf[have] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		if (end)
			need = (size_t)(end + 4 - buf) + SERVER_BODY_SIZE;
	}
	ck_assert_uint_eq(have, need);
}

/* Samples until `done` holds for host 0, for at most a second. */
static struct kernel_host_sample sample_until(struct kfixture *f,
                                              bool (*done)(const struct kernel_host_sample *))
{
	struct kernel_sample s;
	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(kernel_sample(f->k, &s), 0);
		if (done(&s.hosts[0]))
			break;
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	return s.hosts[0];
}

static bool one_established(const struct kernel_host_sample *h)
{
	return h->established == 1;
}

static bool closed_by_client(const struct kernel_host_sample *h)
{
	return h->established == 0 && h->time_wait >= 1;
}

static bool closed_by_server(const struct kernel_host_sample *h)
{
	return h->established == 0 && h->server_time_wait >= 1;
}

/* One open conn is one ESTABLISHED client socket; closing it first leaves a TIME_WAIT. */
START_TEST(test_kernel_sees_one_established_then_time_wait)
{
	struct kfixture f;
	kfixture_start(&f, 0);
	struct kernel_sample s;
	ck_assert_int_eq(kernel_sample(f.k, &s), 0);
	ck_assert_uint_eq(s.hosts[0].established, 0);
	int fd = dial(f.port);
	one_get(fd);
	struct kernel_host_sample h = sample_until(&f, one_established);
	ck_assert_uint_eq(h.established, 1);
	ck_assert_uint_eq(h.other, 0);
	close(fd);
	h = sample_until(&f, closed_by_client);
	ck_assert_uint_eq(h.established, 0);
	ck_assert_uint_ge(h.time_wait, 1);
	ck_assert_int_eq(kernel_sample(f.k, &s), 0);
	ck_assert_uint_eq(s.established, 0);
	ck_assert_uint_eq(s.time_wait, s.hosts[0].time_wait);
	kfixture_stop(&f);
}
END_TEST

/* When the server closes first (server_max_requests = 1), TIME_WAIT is on its side. */
START_TEST(test_kernel_server_close_leaves_server_time_wait)
{
	struct kfixture f;
	kfixture_start(&f, 1);
	int fd = dial(f.port);
	one_get(fd);
	char b;
	ck_assert_int_eq(recv(fd, &b, 1, 0), 0); /* the server's FIN */
	close(fd);
	struct kernel_host_sample h = sample_until(&f, closed_by_server);
	ck_assert_uint_eq(h.established, 0);
	ck_assert_uint_ge(h.server_time_wait, 1);
	kfixture_stop(&f);
}
END_TEST

START_TEST(test_kernel_counts_fds)
{
	int before = kernel_count_fds();
	ck_assert_int_gt(before, 0);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(kernel_count_fds(), before + 1);
	struct kfixture f;
	kfixture_start(&f, 0);
	struct kernel_sample s;
	ck_assert_int_eq(kernel_sample(f.k, &s), 0);
	ck_assert_int_eq((int)s.fds, kernel_count_fds());
	kfixture_stop(&f);
	close(fd);
	ck_assert_int_eq(kernel_count_fds(), before);
}
END_TEST

Suite *suite_kernel(void)
{
	Suite *s = suite_create("kernel");
	TCase *tc = tcase_create("proc");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_kernel_sees_one_established_then_time_wait);
	tcase_add_test(tc, test_kernel_server_close_leaves_server_time_wait);
	tcase_add_test(tc, test_kernel_counts_fds);
	suite_add_tcase(s, tc);
	return s;
}
