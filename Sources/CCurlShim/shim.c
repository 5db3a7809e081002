#include "CCurlShim.h"
#include <pthread.h>

CURLcode ccurl_easy_setopt_long(CURL *h, CURLoption o, long v)             { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_off_t(CURL *h, CURLoption o, curl_off_t v)      { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_ptr(CURL *h, CURLoption o, void *v)             { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_str(CURL *h, CURLoption o, const char *v)       { return curl_easy_setopt(h, o, v); }
CURLcode ccurl_easy_setopt_datacb(CURL *h, CURLoption o, ccurl_data_cb cb) { return curl_easy_setopt(h, o, cb); }
CURLcode ccurl_easy_setopt_xferinfocb(CURL *h, ccurl_xferinfo_cb cb)       { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb); }
CURLcode ccurl_easy_setopt_seekcb(CURL *h, ccurl_seek_cb cb)                { return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, cb); }
CURLcode ccurl_easy_getinfo_long(CURL *h, CURLINFO i, long *out)           { return curl_easy_getinfo(h, i, out); }
CURLcode ccurl_easy_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *out)    { return curl_easy_getinfo(h, i, out); }
CURLSHcode ccurl_share_setopt_long(CURLSH *s, CURLSHoption o, long v)      { return curl_share_setopt(s, o, v); }

static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_once_t share_once = PTHREAD_ONCE_INIT;
static void share_locks_init(void) {
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share_locks[i], NULL);
}
static void share_lock(CURL *h, curl_lock_data d, curl_lock_access a, void *u) {
    (void)h; (void)a; (void)u; pthread_mutex_lock(&share_locks[d]);
}
static void share_unlock(CURL *h, curl_lock_data d, void *u) {
    (void)h; (void)u; pthread_mutex_unlock(&share_locks[d]);
}
CURLSH *ccurl_share_new_locked(void) {
    pthread_once(&share_once, share_locks_init);
    CURLSH *s = curl_share_init();
    if (!s) return NULL;
    curl_share_setopt(s, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    /* Not CURL_LOCK_DATA_CONNECT: sharing the pool across threads churns connections. */
    return s;
}
void ccurl_share_free_locked(CURLSH *s) { if (s) curl_share_cleanup(s); }
