#ifndef CCURLSHIM_H
#define CCURLSHIM_H
#include <curl/curl.h>
// curl_easy_setopt/getinfo/share_setopt are C variadics (and type-checking macros under clang):
// Swift can call neither, so there is one typed wrapper per argument kind.
typedef size_t (*ccurl_data_cb)(char *_Nonnull ptr, size_t size, size_t nmemb, void *_Nullable ud);
typedef int (*ccurl_xferinfo_cb)(void *_Nullable ud, curl_off_t dltotal, curl_off_t dlnow,
                                 curl_off_t ultotal, curl_off_t ulnow);
CURLcode ccurl_easy_setopt_long(CURL *_Nonnull h, CURLoption o, long v);
CURLcode ccurl_easy_setopt_off_t(CURL *_Nonnull h, CURLoption o, curl_off_t v);
CURLcode ccurl_easy_setopt_ptr(CURL *_Nonnull h, CURLoption o, void *_Nullable v);
CURLcode ccurl_easy_setopt_str(CURL *_Nonnull h, CURLoption o, const char *_Nullable v);
CURLcode ccurl_easy_setopt_datacb(CURL *_Nonnull h, CURLoption o, ccurl_data_cb _Nullable cb);
CURLcode ccurl_easy_setopt_xferinfocb(CURL *_Nonnull h, ccurl_xferinfo_cb _Nullable cb);
/// CURLOPT_SEEKFUNCTION has its own callback type; libcurl needs it to rewind a streamed upload
/// body when it resends on a reused connection the server had closed.
typedef int (*ccurl_seek_cb)(void *_Nullable ud, curl_off_t offset, int origin);
CURLcode ccurl_easy_setopt_seekcb(CURL *_Nonnull h, ccurl_seek_cb _Nullable cb);
CURLcode ccurl_easy_getinfo_long(CURL *_Nonnull h, CURLINFO i, long *_Nonnull out);
CURLcode ccurl_easy_getinfo_off_t(CURL *_Nonnull h, CURLINFO i, curl_off_t *_Nonnull out);
CURLSHcode ccurl_share_setopt_long(CURLSH *_Nonnull s, CURLSHoption o, long v);
/// A CURLSH sharing DNS cache and TLS sessions (not the connection pool) between easy handles on
/// different threads; its lock callbacks are pthread mutexes, which belong in C.
CURLSH *_Nullable ccurl_share_new_locked(void);
void ccurl_share_free_locked(CURLSH *_Nullable s);
#endif
