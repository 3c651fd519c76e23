/* Exercises every function of the C ABI from C99, including NULL arguments, bad files and a
 * caller compiled against a smaller struct. Built with -Wall -Wextra -pedantic -Werror and
 * linked against the shared library. Usage: test_capi <testdata dir> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsv4/dsv4.h"

static int g_passed = 0, g_failed = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (cond) {                                                            \
      ++g_passed;                                                          \
    } else {                                                               \
      ++g_failed;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              dsv4_last_error());                                          \
    }                                                                      \
  } while (0)

static char g_path[4096];
static const char *path_of(const char *dir, const char *rel) {
  snprintf(g_path, sizeof g_path, "%s/%s", dir, rel);
  return g_path;
}

static int g_log_count = 0;
static void on_log(int32_t level, const char *msg, void *user) {
  (void)level;
  (void)msg;
  ++*(int *)user;
}

static int32_t cancel_at_start(float fraction, void *user) {
  (void)fraction;
  (void)user;
  return 1;
}

/* What an older host compiled against a smaller dsv4_model_params would pass. */
typedef struct {
  uint32_t struct_size;
  uint32_t use_mmap;
} old_model_params;

static void test_basics(void) {
  CHECK(strlen(dsv4_version()) >= 5);
  CHECK(strcmp(dsv4_status_string(DSV4_OK), "DSV4_OK") == 0);
  CHECK(strcmp(dsv4_status_string(DSV4_ERR_FORMAT), "DSV4_ERR_FORMAT") == 0);
  CHECK(strcmp(dsv4_status_string(12345), "DSV4_UNKNOWN_STATUS") == 0);
  CHECK(dsv4_last_error() != NULL);
}

static void test_load_errors(const char *dir) {
  dsv4_model *m = (dsv4_model *)1;
  CHECK(dsv4_model_load(NULL, NULL, &m) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(m == NULL);
  CHECK(strlen(dsv4_last_error()) > 0);
  CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), NULL, NULL) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_load("/nonexistent/model.gguf", NULL, &m) == DSV4_ERR_IO);
  CHECK(strstr(dsv4_last_error(), "/nonexistent/model.gguf") != NULL);
  /* A file that is not GGUF. */
  CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.tokens"), NULL, &m) == DSV4_ERR_FORMAT);
  /* A vocab-only file (architecture "llama") without vocab_only. */
  CHECK(dsv4_model_load(path_of(dir, "vocab/ggml-vocab-deepseek-llm.gguf"), NULL, &m) != DSV4_OK);
  /* Bad struct_size. */
  {
    dsv4_model_params p = dsv4_model_params_default();
    p.struct_size = 1000;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), &p, &m) == DSV4_ERR_INVALID_ARGUMENT);
  }
  /* Cancelled by the progress callback. */
  {
    dsv4_model_params p = dsv4_model_params_default();
    p.progress = cancel_at_start;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), &p, &m) == DSV4_CANCELLED);
    CHECK(m == NULL);
  }
  /* use_mmap = 0 with a memory limit too small for the weights. */
  {
    dsv4_model_params p = dsv4_model_params_default();
    p.use_mmap = 0;
    p.memory_limit_bytes = 1024;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), &p, &m) == DSV4_ERR_OUT_OF_MEMORY);
    CHECK(strstr(dsv4_last_error(), "1024") != NULL);
  }
  /* repack: an unknown mode, and ON over a memory limit too small for the packed copies. */
  {
    dsv4_model_params p = dsv4_model_params_default();
    CHECK(p.repack == DSV4_REPACK_AUTO);
    p.repack = 7;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-q4_k.gguf"), &p, &m) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dsv4_last_error(), "repack") != NULL);
    p.repack = DSV4_REPACK_ON;
    p.memory_limit_bytes = 65536;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-q4_k.gguf"), &p, &m) == DSV4_ERR_OUT_OF_MEMORY);
    CHECK(m == NULL);
    p.repack = DSV4_REPACK_OFF;
    CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-q4_k.gguf"), &p, &m) == DSV4_OK);
    CHECK(dsv4_model_free(m) == DSV4_OK);
    m = NULL;
  }
  CHECK(dsv4_model_free(NULL) == DSV4_OK);
}

static void test_vocab_only(const char *dir) {
  static const char *files[] = {"vocab/ggml-vocab-deepseek-llm.gguf", "vocab/ggml-vocab-deepseek-coder.gguf",
                                "vocab/ggml-vocab-deepseek-v3.gguf"};
  size_t i;
  for (i = 0; i < sizeof files / sizeof files[0]; ++i) {
    dsv4_model_params p = dsv4_model_params_default();
    dsv4_model *m = NULL;
    dsv4_model_info info;
    p.vocab_only = 1;
    CHECK(dsv4_model_load(path_of(dir, files[i]), &p, &m) == DSV4_OK);
    if (!m) continue;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK(dsv4_model_get_info(m, &info) == DSV4_OK);
    CHECK(info.vocab_only == 1);
    CHECK(strcmp(info.architecture, "llama") == 0);
    CHECK(info.n_layer == 0);
    CHECK(dsv4_model_free(m) == DSV4_OK);
  }
}

static void test_model(const char *dir) {
  dsv4_model *m = NULL;
  old_model_params old;
  dsv4_model_info info;
  uint64_t count = 0, i;
  size_t need = 0;
  char buf[256];
  int64_t iv = 0;
  double fv = 0;
  int32_t type = -1, elem = -1;
  int found_arch = 0;

  old.struct_size = sizeof old;
  old.use_mmap = 1;
  CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), (const dsv4_model_params *)&old, &m) == DSV4_OK);
  if (!m) return;

  /* Info with the full struct and with a smaller one (members past struct_size untouched). */
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  CHECK(dsv4_model_get_info(m, &info) == DSV4_OK);
  CHECK(strcmp(info.architecture, "deepseek2") == 0);
  CHECK(info.n_vocab == 32256);
  CHECK(info.n_layer == 4);
  CHECK(info.n_embd == 32);
  CHECK(info.n_ctx_train == 4096);
  CHECK(info.n_params > 0 && info.n_bytes > 0);
  memset(&info, 0x5a, sizeof info);
  info.struct_size = (uint32_t)offsetof(dsv4_model_info, n_vocab);
  CHECK(dsv4_model_get_info(m, &info) == DSV4_OK);
  CHECK(info.n_vocab == (int64_t)0x5a5a5a5a5a5a5a5aLL);
  info.struct_size = 0;
  CHECK(dsv4_model_get_info(m, &info) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_get_info(NULL, &info) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_get_info(m, NULL) == DSV4_ERR_INVALID_ARGUMENT);

  /* Metadata enumeration and typed getters. */
  CHECK(dsv4_model_meta_count(m, &count) == DSV4_OK);
  CHECK(count > 10);
  CHECK(dsv4_model_meta_count(NULL, &count) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_count(m, NULL) == DSV4_ERR_INVALID_ARGUMENT);
  for (i = 0; i < count; ++i) {
    CHECK(dsv4_model_meta_key(m, i, buf, sizeof buf, &need) == DSV4_OK);
    if (strcmp(buf, "general.architecture") == 0) found_arch = 1;
  }
  CHECK(found_arch);
  CHECK(dsv4_model_meta_key(m, count, buf, sizeof buf, &need) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_key(m, 0, buf, 1, &need) == DSV4_ERR_BUFFER_TOO_SMALL);
  CHECK(need > 1);
  CHECK(dsv4_model_meta_key(m, 0, NULL, 0, &need) == DSV4_ERR_BUFFER_TOO_SMALL);

  CHECK(dsv4_model_meta_string(m, "general.architecture", buf, sizeof buf, &need) == DSV4_OK);
  CHECK(strcmp(buf, "deepseek2") == 0 && need == 10);
  CHECK(dsv4_model_meta_string(m, "general.architecture", buf, 3, &need) == DSV4_ERR_BUFFER_TOO_SMALL);
  CHECK(need == 10);
  CHECK(dsv4_model_meta_string(m, "no.such.key", buf, sizeof buf, &need) == DSV4_ERR_NOT_FOUND);
  CHECK(dsv4_model_meta_string(m, NULL, buf, sizeof buf, &need) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_int(m, "deepseek2.block_count", &iv) == DSV4_OK && iv == 4);
  CHECK(dsv4_model_meta_int(m, "general.architecture", &iv) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_int(m, "deepseek2.block_count", NULL) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_float(m, "deepseek2.attention.layer_norm_rms_epsilon", &fv) == DSV4_OK);
  CHECK(fv > 0.9e-6 && fv < 1.1e-6);
  CHECK(dsv4_model_meta_float(m, "deepseek2.block_count", &fv) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_type(m, "tokenizer.ggml.tokens", &type, &elem, &count) == DSV4_OK);
  CHECK(type == DSV4_META_ARRAY && elem == DSV4_META_STRING && count == 32256);
  CHECK(dsv4_model_meta_type(m, "deepseek2.block_count", &type, NULL, NULL) == DSV4_OK);
  CHECK(dsv4_model_meta_type(m, "nope", &type, NULL, NULL) == DSV4_ERR_NOT_FOUND);
  CHECK(dsv4_model_meta_array_string(m, "tokenizer.ggml.tokens", 0, buf, sizeof buf, &need) == DSV4_OK);
  CHECK(dsv4_model_meta_array_string(m, "tokenizer.ggml.tokens", 99999999, buf, sizeof buf, &need) ==
        DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_array_int(m, "tokenizer.ggml.token_type", 0, &iv) == DSV4_OK);
  CHECK(dsv4_model_meta_array_int(m, "tokenizer.ggml.tokens", 0, &iv) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_array_float(m, "tokenizer.ggml.tokens", 0, &fv) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_model_meta_array_float(m, "deepseek2.block_count", 0, &fv) == DSV4_ERR_INVALID_ARGUMENT);

  /* Sessions. */
  {
    dsv4_session *s = NULL;
    dsv4_session_params sp = dsv4_session_params_default();
    int32_t toks[3] = {32013, 414, 9489};
    int32_t bad[1] = {40000};
    int64_t len = -1;
    float *logits;
    size_t n_req = 0;
    CHECK(dsv4_session_init(NULL, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_session_init(m, &sp, NULL) == DSV4_ERR_INVALID_ARGUMENT);
    sp.memory_limit_bytes = 4096;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_OUT_OF_MEMORY);
    CHECK(s == NULL);
    sp = dsv4_session_params_default();
    sp.cache_type = 77;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    /* An n_ctx whose memory plan wraps uint64 to a few bytes (1280 * n_ctx == 256 mod 2^64 for
     * this model) must not pass the limit check and give a session with a tiny cache. */
    sp = dsv4_session_params_default();
    sp.n_ctx = 57646075230342349LL;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL);
    /* n_threads >= 2^31 is not "all threads". */
    sp = dsv4_session_params_default();
    sp.n_threads = 0xFFFFFFFFu;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL);
    sp = dsv4_session_params_default();
    CHECK(sp.activations == DSV4_ACTIVATIONS_INT8 && sp.isa == DSV4_ISA_AUTO);
    sp.isa = 9;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    sp = dsv4_session_params_default();
    sp.activations = 7;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_ERR_INVALID_ARGUMENT);
    sp = dsv4_session_params_default();
    sp.isa = DSV4_ISA_SCALAR;
    sp.activations = DSV4_ACTIVATIONS_F32;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_OK);
    CHECK(dsv4_session_free(s) == DSV4_OK);
    s = NULL;
    sp = dsv4_session_params_default();
    sp.n_ctx = 4;
    sp.n_threads = 2;
    CHECK(dsv4_session_init(m, &sp, &s) == DSV4_OK);
    if (s) {
      CHECK(dsv4_model_free(m) == DSV4_ERR_BUSY); /* live session */
      CHECK(dsv4_session_logits(s, NULL, 0, &n_req) == DSV4_ERR_INVALID_ARGUMENT); /* nothing evaluated */
      CHECK(dsv4_session_eval(s, bad, 1, NULL) == DSV4_ERR_TOKEN_OUT_OF_RANGE);
      CHECK(dsv4_session_eval(NULL, toks, 3, NULL) == DSV4_ERR_INVALID_ARGUMENT);
      CHECK(dsv4_session_eval(s, NULL, 3, NULL) == DSV4_ERR_INVALID_ARGUMENT);
      CHECK(dsv4_session_eval(s, toks, 3, NULL) == DSV4_OK);
      CHECK(dsv4_session_length(s, &len) == DSV4_OK && len == 3);
      CHECK(dsv4_session_length(s, NULL) == DSV4_ERR_INVALID_ARGUMENT);
      CHECK(dsv4_session_logits(s, NULL, 0, &n_req) == DSV4_ERR_BUFFER_TOO_SMALL);
      CHECK(n_req == 32256);
      logits = (float *)malloc(n_req * sizeof(float));
      CHECK(dsv4_session_logits(s, logits, n_req, &n_req) == DSV4_OK);
      free(logits);
      CHECK(dsv4_session_eval(s, toks, 2, NULL) == DSV4_ERR_CONTEXT_FULL);
      CHECK(dsv4_session_length(s, &len) == DSV4_OK && len == 3);
      CHECK(dsv4_session_truncate(s, 5) == DSV4_ERR_INVALID_ARGUMENT);
      CHECK(dsv4_session_truncate(s, 1) == DSV4_OK);
      CHECK(dsv4_session_length(s, &len) == DSV4_OK && len == 1);
      CHECK(dsv4_session_clear(s) == DSV4_OK);
      CHECK(dsv4_session_length(s, &len) == DSV4_OK && len == 0);
      CHECK(dsv4_session_cancel(s) == DSV4_OK);
      CHECK(dsv4_session_eval(s, toks, 1, NULL) == DSV4_OK); /* a cancel before a call does not stick */
      CHECK(dsv4_session_free(s) == DSV4_OK);
    }
    CHECK(dsv4_session_cancel(NULL) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_session_truncate(NULL, 0) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_session_clear(NULL) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_session_free(NULL) == DSV4_OK);
  }
  CHECK(dsv4_model_free(m) == DSV4_OK);
}

static void test_logging(const char *dir) {
  dsv4_model *m = NULL;
  dsv4_set_log_callback(on_log, &g_log_count);
  CHECK(dsv4_model_load(path_of(dir, "models/ds2lite-tiny-f32.gguf"), NULL, &m) == DSV4_OK);
  CHECK(g_log_count > 0);
  dsv4_set_log_callback(NULL, NULL);
  CHECK(dsv4_model_free(m) == DSV4_OK);
}


static int32_t count_tokens(const char *text, size_t len, int32_t token, void *user) {
  (void)text;
  (void)len;
  if (token >= 0) ++*(int *)user;
  return 0;
}

static int32_t stop_now(const char *text, size_t len, int32_t token, void *user) {
  (void)text;
  (void)len;
  (void)token;
  (void)user;
  return 1;
}

/* Tokenizer, streaming detokenizer, generation, expert counts and chat formats. */
static void test_text(const char *dir) {
  dsv4_model *m = NULL;
  dsv4_session *s = NULL;
  dsv4_session_params sp = dsv4_session_params_default();
  dsv4_tokenizer_info ti;
  int32_t ids[64];
  size_t need = 0, i;
  char buf[512];
  const char *text = "Hello world";
  CHECK(dsv4_model_load(path_of(dir, "models/ds3-tiny-f32.gguf"), NULL, &m) == DSV4_OK);
  if (!m) return;

  memset(&ti, 0, sizeof ti);
  ti.struct_size = sizeof ti;
  CHECK(dsv4_model_get_tokenizer_info(m, &ti) == DSV4_OK);
  CHECK(ti.n_vocab > 0 && ti.bos == 32013);
  CHECK(dsv4_model_get_tokenizer_info(NULL, &ti) == DSV4_ERR_INVALID_ARGUMENT);

  CHECK(dsv4_tokenize(m, text, strlen(text), DSV4_TOKENIZE_ADD_BOS, ids, 64, &need) == DSV4_OK);
  CHECK(need >= 2 && ids[0] == 32013);
  CHECK(dsv4_tokenize(m, text, strlen(text), 0, ids, 0, &need) == DSV4_ERR_BUFFER_TOO_SMALL);
  CHECK(dsv4_tokenize(NULL, text, strlen(text), 0, ids, 64, &need) == DSV4_ERR_INVALID_ARGUMENT);
  CHECK(dsv4_tokenize(m, text, strlen(text), 0, ids, 64, &need) == DSV4_OK);
  CHECK(dsv4_detokenize(m, ids, need, 0, buf, sizeof buf, &need) == DSV4_OK);
  CHECK(strcmp(buf, text) == 0);
  CHECK(dsv4_detokenize(m, ids, 1, 0, buf, 1, &need) == DSV4_ERR_BUFFER_TOO_SMALL);
  ids[10] = -5;
  CHECK(dsv4_detokenize(m, ids + 10, 1, 0, buf, sizeof buf, &need) == DSV4_ERR_TOKEN_OUT_OF_RANGE);
  CHECK(dsv4_token_to_piece(m, ids[0], 0, buf, sizeof buf, &need) == DSV4_OK);
  CHECK(dsv4_token_to_piece(m, 1 << 30, 0, buf, sizeof buf, &need) == DSV4_ERR_TOKEN_OUT_OF_RANGE);

  {
    dsv4_detokenizer *d = NULL, *none = NULL;
    int32_t toks[8];
    size_t n = 0;
    CHECK(dsv4_tokenize(m, text, strlen(text), 0, toks, 8, &n) == DSV4_OK);
    CHECK(dsv4_detokenizer_new(NULL, 0, &none) == DSV4_ERR_INVALID_ARGUMENT && none == NULL);
    CHECK(dsv4_detokenizer_new(m, 0, &d) == DSV4_OK);
    for (i = 0; d && i < n; ++i) CHECK(dsv4_detokenizer_push(d, toks[i], buf, sizeof buf, &need) == DSV4_OK);
    if (d) CHECK(dsv4_detokenizer_flush(d, buf, sizeof buf, &need) == DSV4_OK);
    CHECK(dsv4_detokenizer_push(NULL, 1, buf, sizeof buf, &need) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_detokenizer_free(d) == DSV4_OK);
    CHECK(dsv4_detokenizer_free(NULL) == DSV4_OK);
  }

  sp.n_ctx = 64;
  sp.n_threads = 2;
  CHECK(dsv4_session_init(m, &sp, &s) == DSV4_OK);
  if (s) {
    dsv4_sampling_params smp = dsv4_sampling_params_default();
    dsv4_generate_params gp = dsv4_generate_params_default();
    dsv4_generate_result res;
    int n_seen = 0;
    uint64_t counts[512];
    int64_t n_layer = 0, n_expert = 0;
    size_t n = 0;
    CHECK(dsv4_tokenize(m, text, strlen(text), DSV4_TOKENIZE_ADD_BOS, ids, 64, &n) == DSV4_OK);
    smp.seed = 3;
    gp.sampling = &smp;
    gp.max_tokens = 8;
    gp.ignore_eos = 1;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    CHECK(dsv4_generate(s, ids, n, &gp, &res, count_tokens, &n_seen) == DSV4_OK);
    CHECK(res.stop_reason == DSV4_STOP_MAX_TOKENS && res.n_generated == 8 && n_seen == 8);
    CHECK(dsv4_generate(s, ids, n, &gp, &res, stop_now, NULL) == DSV4_CANCELLED);
    CHECK(res.stop_reason == DSV4_STOP_CALLBACK);
    CHECK(dsv4_generate(NULL, ids, n, &gp, &res, count_tokens, &n_seen) == DSV4_ERR_INVALID_ARGUMENT);
    {
      /* A prompt count past INT64_MAX is rejected before work and leaves the session as it was. */
      int64_t before = -1, after = -2;
      CHECK(dsv4_session_length(s, &before) == DSV4_OK && before > 0);
      CHECK(dsv4_generate(s, ids, (size_t)-1, &gp, &res, count_tokens, &n_seen) == DSV4_ERR_INVALID_ARGUMENT);
      CHECK(dsv4_session_length(s, &after) == DSV4_OK && after == before);
    }
    CHECK(dsv4_session_expert_counts(s, counts, 512, &need, &n_layer, &n_expert) == DSV4_OK);
    CHECK(n_layer == 4 && n_expert == 16 && need == 64);
    CHECK(dsv4_session_expert_counts(s, counts, 1, &need, &n_layer, &n_expert) == DSV4_ERR_BUFFER_TOO_SMALL);
    CHECK(dsv4_session_expert_counts_reset(s) == DSV4_OK);
    CHECK(dsv4_session_expert_counts_reset(NULL) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_session_free(s) == DSV4_OK);
  }

  {
    dsv4_chat_message msgs[2];
    int32_t layout = -1;
    memset(msgs, 0, sizeof msgs);
    msgs[0].role = "system";
    msgs[0].content = "Be brief.";
    msgs[1].role = "user";
    msgs[1].content = "Hi";
    CHECK(dsv4_chat_layout(m, &layout) == DSV4_OK);
    CHECK(layout == DSV4_CHAT_LAYOUT_DEEPSEEK_V2 || layout == DSV4_CHAT_LAYOUT_DEEPSEEK_V3);
    CHECK(dsv4_chat_format(m, msgs, 2, 0, buf, sizeof buf, &need) == DSV4_OK);
    CHECK(strstr(buf, "Hi") != NULL);
    CHECK(dsv4_chat_format(m, msgs, 2, 0, buf, 2, &need) == DSV4_ERR_BUFFER_TOO_SMALL);
    msgs[1].role = "narrator";
    CHECK(dsv4_chat_format(m, msgs, 2, 0, buf, sizeof buf, &need) == DSV4_ERR_INVALID_ARGUMENT);
    CHECK(dsv4_chat_format(NULL, msgs, 2, 0, buf, sizeof buf, &need) == DSV4_ERR_INVALID_ARGUMENT);
  }
  CHECK(dsv4_model_free(m) == DSV4_OK);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "../shared/testdata";
  test_basics();
  test_load_errors(dir);
  test_vocab_only(dir);
  test_model(dir);
  test_logging(dir);
  test_text(dir);
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
