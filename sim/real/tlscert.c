/*
 * tlscert.c: a throw-away P-256 key and self-signed certificate for
 * 127.0.0.1, and the server and client SSL_CTX built on them (tlscert.h).
 *
 * Owns nothing but OpenSSL objects; must not write files, read the system
 * trust store or name any address but 127.0.0.1.
 */
#include "tlscert.h"

#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLSCERT_IP   "127.0.0.1"
#define TLSCERT_DAYS 2

struct tlscert {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *server;
	SSL_CTX *client;
};

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* A random serial: two runs never present the same certificate. */
static int set_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	if (!cert)
		return NULL;
	X509_NAME *name = X509_get_subject_name(cert);
	/* CA:TRUE so that OpenSSL accepts it as its own trust anchor without relaxed flags. */
	if (!X509_set_version(cert, 2) || set_serial(cert) < 0 ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * TLSCERT_DAYS) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"poolsim loopback", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key) ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") < 0 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    add_ext(cert, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(cert, NID_subject_alt_name, "IP:" TLSCERT_IP) < 0 ||
	    !X509_sign(cert, key, EVP_sha256())) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

static SSL_CTX *make_server_ctx(X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		return NULL;
	/* No session tickets: the client never has post-handshake records to read. */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_use_certificate(ctx, cert) || !SSL_CTX_use_PrivateKey(ctx, key) ||
	    !SSL_CTX_check_private_key(ctx) || !SSL_CTX_set_num_tickets(ctx, 0)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

static SSL_CTX *make_client_ctx(X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return NULL;
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !X509_STORE_add_cert(store, cert) ||
	    !X509_VERIFY_PARAM_set1_ip_asc(param, TLSCERT_IP)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Every dial is a full handshake, as for Go's Transport without a session cache. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
}

struct tlscert *tlscert_create(void)
{
	struct tlscert *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->key = EVP_EC_gen("P-256");
	if (t->key)
		t->cert = make_cert(t->key);
	if (t->cert)
		t->server = make_server_ctx(t->cert, t->key);
	if (t->server)
		t->client = make_client_ctx(t->cert);
	if (!t->client) {
		tlscert_destroy(t);
		return NULL;
	}
	return t;
}

void tlscert_destroy(struct tlscert *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->client);
	SSL_CTX_free(t->server);
	X509_free(t->cert);
	EVP_PKEY_free(t->key);
	free(t);
}

SSL_CTX *tlscert_server_ctx(const struct tlscert *t)
{
	return t->server;
}

SSL_CTX *tlscert_client_ctx(const struct tlscert *t)
{
	return t->client;
}
