/*
 * dsv4 — an embeddable runtime for DeepSeek mixture-of-experts models.
 *
 * This is the only public header. It is C99 and includes nothing but <stddef.h>, <stdint.h>
 * and <stdbool.h>, so it can be bound from C, C++, Python (ctypes/cffi), Rust, Go and C#.
 *
 * Conventions (fixed for the life of ABI major 0):
 *
 *  Status.   Every fallible function returns a dsv4_status. DSV4_OK is 0. Codes are numbered
 *            explicitly, grouped by category with gaps for later codes, and never renumbered.
 *            dsv4_status_string() names a code.
 *
 *  Errors.   Every failing call stores a message in thread-local storage; dsv4_last_error()
 *            returns it. The text is valid until the next dsv4 call on the same thread. A
 *            failing call leaves every handle usable.
 *
 *  Options.  Option structs start with `uint32_t struct_size` and are filled by
 *            dsv4_*_params_default(). A host compiled against an older, smaller struct passes
 *            its own size; members past it take their defaults. Structs hold only fixed-width
 *            integers, floats and pointers (flags are uint32_t 0/1) so every FFI can map them.
 *
 *  Buffers.  Outputs of variable size go to caller-owned buffers: (buf, cap, &n_required).
 *            *n_required is always set on OK and on DSV4_ERR_BUFFER_TOO_SMALL, so a caller can
 *            ask with cap = 0 first. Strings are NUL-terminated; n_required counts the NUL.
 *
 *  Threads and lifetime.
 *            - A dsv4_model is immutable after dsv4_model_load returns and may be shared by any
 *              number of threads and sessions.
 *            - A session is used by one thread at a time. The only exception is
 *              dsv4_session_cancel(), an atomic flag that any thread may set.
 *            - Callbacks (progress, streaming, logging) run on the thread that made the call.
 *            - The number of compute threads is a session parameter; each session owns its
 *              own thread pool. Two sessions on one machine should split the cores between
 *              them (e.g. n_threads = cores / 2 each) — pools are not shared, so giving each
 *              session every core oversubscribes the machine.
 *            - Results are bitwise identical for any thread count: work is split by output
 *              rows, never inside a reduction.
 *            - dsv4_model_free() on a model with live sessions returns DSV4_ERR_BUSY and frees
 *              nothing. *_free(NULL) is a no-op that returns DSV4_OK.
 *            - The log callback is process-wide, replaced atomically, and silent by default.
 *              The library never prints, exits or aborts.
 *
 *  Memory.   Model and session parameters carry memory_limit_bytes (0 = the MemAvailable
 *            figure of /proc/meminfo at the time of the call). Every allocation plan is
 *            checked against the limit before anything is allocated; exceeding it returns
 *            DSV4_ERR_OUT_OF_MEMORY with a message naming the bytes needed and allowed.
 *            Weights mapped from the file (use_mmap) live in the page cache and are not
 *            counted; weights read into memory (use_mmap = 0) are.
 */
#ifndef DSV4_H
#define DSV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(DSV4_BUILDING_SHARED)
#define DSV4_API __declspec(dllexport)
#elif defined(_WIN32) && defined(DSV4_USING_SHARED)
#define DSV4_API __declspec(dllimport)
#elif defined(__GNUC__)
#define DSV4_API __attribute__((visibility("default")))
#else
#define DSV4_API
#endif

/* ------------------------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------------------------- */

#define DSV4_VERSION_MAJOR 0
#define DSV4_VERSION_MINOR 1
#define DSV4_VERSION_PATCH 0
/* The ABI major is part of the shared library's SONAME: libdsv4.so.0 */
#define DSV4_ABI_MAJOR 0

/* "MAJOR.MINOR.PATCH" of the library actually loaded (may differ from the macros above). */
DSV4_API const char *dsv4_version(void);

/* ------------------------------------------------------------------------------------------
 * Status codes
 * ---------------------------------------------------------------------------------------- */

typedef int32_t dsv4_status;
enum {
  DSV4_OK = 0,
  DSV4_CANCELLED = 1, /* a callback returned non-zero, or dsv4_session_cancel() was called */

  /* 100-199: the caller's arguments */
  DSV4_ERR_INVALID_ARGUMENT = 100,
  DSV4_ERR_BUFFER_TOO_SMALL = 101,
  DSV4_ERR_TOKEN_OUT_OF_RANGE = 102,
  DSV4_ERR_NOT_FOUND = 103, /* e.g. a metadata key the model does not have */

  /* 200-299: files and their contents */
  DSV4_ERR_IO = 200,
  DSV4_ERR_FORMAT = 201,
  DSV4_ERR_UNSUPPORTED = 202,
  DSV4_ERR_WRONG_ARCHITECTURE = 203,

  /* 300-399: resources */
  DSV4_ERR_OUT_OF_MEMORY = 300,
  DSV4_ERR_CONTEXT_FULL = 301,
  DSV4_ERR_BACKEND_UNAVAILABLE = 302,

  /* 400-499: object state */
  DSV4_ERR_BUSY = 400,

  /* 900-999: bugs */
  DSV4_ERR_INTERNAL = 900
};

/* A static, human-readable name for a status ("DSV4_ERR_FORMAT"); "DSV4_UNKNOWN_STATUS" otherwise. */
DSV4_API const char *dsv4_status_string(dsv4_status status);

/* The message of the last failing call on this thread ("" if none). Valid until the next dsv4
 * call on this thread. */
DSV4_API const char *dsv4_last_error(void);

/* ------------------------------------------------------------------------------------------
 * Logging
 * ---------------------------------------------------------------------------------------- */

enum {
  DSV4_LOG_DEBUG = 0,
  DSV4_LOG_INFO = 1,
  DSV4_LOG_WARN = 2,
  DSV4_LOG_ERROR = 3
};

/* level is one of DSV4_LOG_*; message is NUL-terminated without a trailing newline. */
typedef void (*dsv4_log_fn)(int32_t level, const char *message, void *user);

/* Installs the process-wide log sink (NULL = silent, the default). Safe to call from any
 * thread at any time; a message is delivered to either the old or the new sink. */
DSV4_API void dsv4_set_log_callback(dsv4_log_fn fn, void *user);

/* ------------------------------------------------------------------------------------------
 * Model
 * ---------------------------------------------------------------------------------------- */

typedef struct dsv4_model dsv4_model;

/* Called during long operations with a fraction in [0, 1]; a non-zero return cancels the
 * operation, which then returns DSV4_CANCELLED. */
typedef int32_t (*dsv4_progress_fn)(float fraction, void *user);

/* Repacking (dsv4_model_params.repack): the weights that only go through matrix products are
 * copied at load into row-interleaved layouts that the AVX-512 VNNI kernels read faster (Q4_K,
 * Q6_K, Q4_0, Q8_0, MXFP4). The copy is anonymous memory counted against memory_limit_bytes;
 * the file pages it replaces are dropped from the process's mapping (use_mmap = 1; they stay in
 * the page cache, reclaimable). Only sessions on the
 * int8 path with the AVX-512 kernels read the copy (prefill about 2x faster); the others read
 * the file's rows again, with the same bits as without repacking: load with DSV4_REPACK_OFF for
 * exact-path work. Int8 results change only by the order of f32 sums. A load reports progress
 * in [0, 0.5] while opening the file and in (0.5, 1] while repacking (cancellable there too).
 *   AUTO (default): on when the CPU has AVX-512 VNNI and the file is at most half the memory
 *                   limit; weights past the limit stay unpacked.
 *   OFF:            never.
 *   ON:             always; DSV4_ERR_OUT_OF_MEMORY when the copies exceed the limit. */
enum { DSV4_REPACK_AUTO = 0, DSV4_REPACK_OFF = 1, DSV4_REPACK_ON = 2 };

typedef struct dsv4_model_params {
  uint32_t struct_size;        /* sizeof(dsv4_model_params) */
  uint32_t use_mmap;           /* 1 (default): map the file; 0: read weights into memory */
  uint32_t vocab_only;         /* 1: load metadata and tokenizer only, any architecture */
  uint32_t repack;             /* DSV4_REPACK_AUTO (default), _OFF or _ON */
  uint64_t memory_limit_bytes; /* 0 (default): MemAvailable */
  dsv4_progress_fn progress;   /* may be NULL */
  void *progress_user;
} dsv4_model_params;

DSV4_API dsv4_model_params dsv4_model_params_default(void);

/* Loads a GGUF file. For split files pass the first split (…-00001-of-0000N.gguf); the others
 * are found beside it. params may be NULL for the defaults. On failure *out is NULL. */
DSV4_API dsv4_status dsv4_model_load(const char *path, const dsv4_model_params *params,
                                     dsv4_model **out);

/* DSV4_ERR_BUSY (and nothing freed) while sessions created from the model are alive. */
DSV4_API dsv4_status dsv4_model_free(dsv4_model *model);

typedef struct dsv4_model_info {
  uint32_t struct_size;       /* sizeof(dsv4_model_info), set by the caller */
  uint32_t vocab_only;        /* 1 when loaded with vocab_only */
  const char *architecture;   /* general.architecture, valid while the model lives */
  const char *name;           /* general.name or "" */
  int64_t n_vocab;            /* tokens in the vocabulary */
  int64_t n_layer;            /* transformer blocks (0 for vocab-only loads) */
  int64_t n_embd;             /* hidden size (0 for vocab-only loads) */
  int64_t n_ctx_train;        /* context length the model was trained for (0 if unknown) */
  uint64_t n_params;          /* elements over all tensors */
  uint64_t n_bytes;           /* bytes of all tensor data */
} dsv4_model_info;

/* Fills info; info->struct_size must be set (members past it are left untouched). */
DSV4_API dsv4_status dsv4_model_get_info(const dsv4_model *model, dsv4_model_info *info);

/* Metadata by key. Value types are GGUF's: */
enum {
  DSV4_META_U8 = 0, DSV4_META_I8 = 1, DSV4_META_U16 = 2, DSV4_META_I16 = 3,
  DSV4_META_U32 = 4, DSV4_META_I32 = 5, DSV4_META_F32 = 6, DSV4_META_BOOL = 7,
  DSV4_META_STRING = 8, DSV4_META_ARRAY = 9, DSV4_META_U64 = 10, DSV4_META_I64 = 11,
  DSV4_META_F64 = 12
};

/* Number of metadata keys, and the key at an index (0 … count-1). */
DSV4_API dsv4_status dsv4_model_meta_count(const dsv4_model *model, uint64_t *count);
DSV4_API dsv4_status dsv4_model_meta_key(const dsv4_model *model, uint64_t index, char *buf,
                                         size_t cap, size_t *n_required);
/* The type of a key (DSV4_META_*); for arrays also the element type and count (either
 * pointer may be NULL). DSV4_ERR_NOT_FOUND when absent. */
DSV4_API dsv4_status dsv4_model_meta_type(const dsv4_model *model, const char *key,
                                          int32_t *type, int32_t *elem_type, uint64_t *count);
/* Scalars. Any integer type (and bool) reads as int; U64 values above INT64_MAX are
 * DSV4_ERR_FORMAT. F32/F64 read as float. A type that does not convert is
 * DSV4_ERR_INVALID_ARGUMENT naming the stored type. */
DSV4_API dsv4_status dsv4_model_meta_int(const dsv4_model *model, const char *key, int64_t *out);
DSV4_API dsv4_status dsv4_model_meta_float(const dsv4_model *model, const char *key, double *out);
DSV4_API dsv4_status dsv4_model_meta_string(const dsv4_model *model, const char *key, char *buf,
                                            size_t cap, size_t *n_required);
/* Array elements by index: integer/bool arrays, float arrays, string arrays. */
DSV4_API dsv4_status dsv4_model_meta_array_int(const dsv4_model *model, const char *key,
                                               uint64_t index, int64_t *out);
DSV4_API dsv4_status dsv4_model_meta_array_float(const dsv4_model *model, const char *key,
                                                 uint64_t index, double *out);
DSV4_API dsv4_status dsv4_model_meta_array_string(const dsv4_model *model, const char *key,
                                                  uint64_t index, char *buf, size_t cap,
                                                  size_t *n_required);


/* ------------------------------------------------------------------------------------------
 * Tokenizer: DeepSeek's byte-level BPE, built at load (also for vocab_only loads)
 *
 * Text is any byte string. Valid UTF-8 round-trips exactly: detokenizing the ids of a text
 * gives the text back, byte for byte. Invalid UTF-8 is never rejected or replaced: its bytes
 * are tokenized with the single-byte tokens and (for the V3 / V4 vocabularies) come back
 * unchanged too. A model whose file has no tokenizer answers DSV4_ERR_UNSUPPORTED.
 * ---------------------------------------------------------------------------------------- */

enum {
  DSV4_TOKENIZE_ADD_BOS = 1,      /* prepend the BOS token (see dsv4_tokenizer_info.add_bos) */
  DSV4_TOKENIZE_PARSE_SPECIAL = 2 /* match special and added tokens (role markers, <think>, ...)
                                     in the text. Leave it off for untrusted text: then no part of
                                     the text can become such a token. */
};

/* Token ids of text[0 .. len) (text may be NULL when len is 0; NUL bytes are ordinary
 * bytes). ids is caller-owned with room for cap ids; n_required must not be NULL and receives
 * the number of ids. Too small: DSV4_ERR_BUFFER_TOO_SMALL with *n_required set and ids
 * unspecified. The count never exceeds len + 1, so cap = len + 1 always suffices.
 * DSV4_ERR_INVALID_ARGUMENT for unknown flag bits, or ADD_BOS when the model has no BOS. */
DSV4_API dsv4_status dsv4_tokenize(const dsv4_model *model, const char *text, size_t len, uint32_t flags,
                                   int32_t *ids, size_t cap, size_t *n_required);

enum {
  DSV4_DETOKENIZE_SKIP_SPECIAL = 1 /* leave control tokens (BOS, EOS, ...) out of the text */
};

/* The text of ids[0 .. n_ids) into (buf, cap) with a terminating NUL (n_required counts it).
 * The text may itself contain NUL bytes (the token of byte 0): its length is
 * *n_required - 1. Adjacent tokens may split a UTF-8 character; detokenizing them together
 * joins it. An id outside the vocabulary: DSV4_ERR_TOKEN_OUT_OF_RANGE naming it. */
DSV4_API dsv4_status dsv4_detokenize(const dsv4_model *model, const int32_t *ids, size_t n_ids, uint32_t flags,
                                     char *buf, size_t cap, size_t *n_required);

/* The bytes of one token (flags: DSV4_DETOKENIZE_*), NUL-terminated as above. They may be part
 * of a UTF-8 character; for streaming text use a dsv4_detokenizer, which buffers such parts. */
DSV4_API dsv4_status dsv4_token_to_piece(const dsv4_model *model, int32_t token, uint32_t flags, char *buf,
                                         size_t cap, size_t *n_required);

typedef struct dsv4_tokenizer_info {
  uint32_t struct_size; /* sizeof(dsv4_tokenizer_info), set by the caller */
  int32_t n_vocab;      /* ids are 0 .. n_vocab-1 (may be less than the model's output rows) */
  int32_t bos;          /* BOS id, or -1 */
  int32_t eos;          /* EOS id (generation stops here), or -1 */
  int32_t pad;          /* padding id, or -1 */
  uint32_t add_bos;     /* 1 when the model expects BOS at the start of a prompt */
} dsv4_tokenizer_info;

/* Fills info; info->struct_size must be set (members past it are left untouched). */
DSV4_API dsv4_status dsv4_model_get_tokenizer_info(const dsv4_model *model, dsv4_tokenizer_info *info);

/* Streaming detokenizer: turns generated ids into text one token at a time and never returns
 * part of a UTF-8 character: bytes that may still become one are held until the next token.
 * Bytes that can never become valid UTF-8 are passed on as they are, so everything pushed plus
 * the final flush equals dsv4_detokenize of the same ids. One thread at a time. The model
 * cannot be freed (DSV4_ERR_BUSY) while a detokenizer made from it is alive. */
typedef struct dsv4_detokenizer dsv4_detokenizer;

/* flags: DSV4_DETOKENIZE_*. On failure *out is NULL. */
DSV4_API dsv4_status dsv4_detokenizer_new(const dsv4_model *model, uint32_t flags, dsv4_detokenizer **out);
/* Adds token and writes the text it completes (often "", NUL-terminated as for
 * dsv4_detokenize). On DSV4_ERR_BUFFER_TOO_SMALL or DSV4_ERR_TOKEN_OUT_OF_RANGE the token is
 * not consumed: call again with a larger buffer (or a valid id). */
DSV4_API dsv4_status dsv4_detokenizer_push(dsv4_detokenizer *detok, int32_t token, char *buf, size_t cap,
                                           size_t *n_required);
/* Writes the held-back bytes (an unfinished character, at most 3 bytes) and empties the
 * detokenizer; call at the end of a stream. Too small a buffer keeps them. */
DSV4_API dsv4_status dsv4_detokenizer_flush(dsv4_detokenizer *detok, char *buf, size_t cap, size_t *n_required);
/* NULL is a no-op. */
DSV4_API dsv4_status dsv4_detokenizer_free(dsv4_detokenizer *detok);

/* ------------------------------------------------------------------------------------------
 * Session: one sequence's decode state (KV cache), thread pool and last logits
 * ---------------------------------------------------------------------------------------- */

typedef struct dsv4_session dsv4_session;

enum {
  DSV4_CACHE_F32 = 0,  /* exact: what the golden tests check */
  DSV4_CACHE_BF16 = 1, /* half the memory */
  DSV4_CACHE_FP8 = 2   /* DeepSeek V4 only */
};

typedef struct dsv4_session_params {
  uint32_t struct_size;        /* sizeof(dsv4_session_params) */
  uint32_t n_threads;          /* 0 (default): all hardware threads; at most 1024 */
  int64_t n_ctx;               /* positions, 0 .. 2^32; 0 (default): min(training context, 4096) */
  uint32_t cache_type;         /* DSV4_CACHE_* (default F32) */
  uint32_t n_batch;            /* tokens per internal forward call; 0 (default): 512 */
  uint64_t memory_limit_bytes; /* 0 (default): MemAvailable */
  /* Members below were added after the first release (struct_size versioning). */
  uint32_t unfused;            /* 1: every fused op runs its unfused path, as DSV4_UNFUSED=1 in the
                                  environment does (for bisecting numerical bugs); default 0 */
  uint32_t v4_numerics;        /* DeepSeek V4 only: DSV4_V4_* bits; 0 (default): llama.cpp's numerics,
                                  which the reference logits follow */
  uint32_t snapshot_interval;  /* DeepSeek V4 only: rewind snapshots every this many tokens, a
                                  multiple of 128 (truncate restores the newest one and re-evaluates
                                  the rest); 0 (default): 4096 */
  uint32_t isa;                /* CPU kernel family, DSV4_ISA_*: AUTO (default) takes the DSV4_ISA
                                  environment variable (scalar|avx2|avx512), else the best this CPU
                                  has; a family the CPU lacks is clamped to the best available */
  uint32_t activations;        /* DSV4_ACTIVATIONS_INT8 (default): activations are rounded to 8 bits
                                  before each weight matmul (integer dot products, as llama.cpp's CPU
                                  backend does; fast); DSV4_ACTIVATIONS_F32: the exact path, weights
                                  dequantized exactly and multiplied in f32 (what the reference logits
                                  of the test models are checked with) */
} dsv4_session_params;

enum {
  DSV4_ISA_AUTO = 0,
  DSV4_ISA_SCALAR = 1,
  DSV4_ISA_AVX2 = 2,  /* AVX2 + FMA + F16C */
  DSV4_ISA_AVX512 = 3 /* AVX-512 F/BW/VL/DQ + VNNI */
};

enum {
  DSV4_ACTIVATIONS_INT8 = 0,
  DSV4_ACTIVATIONS_F32 = 1
};

/* dsv4_session_params.v4_numerics: DeepSeek's own inference numerics (see the V4 spec §3.5–3.7). */
enum {
  DSV4_V4_NO_SHARED_CLAMP = 1, /* the shared expert's SwiGLU is not clamped */
  DSV4_V4_KV_FP8 = 2,          /* window and compressed KV rounded to FP8 e4m3 (blocks of 64) */
  DSV4_V4_INDEXER_FP4 = 4,     /* indexer queries and keys rounded to FP4 e2m1 (blocks of 32) */
  DSV4_V4_ACT_FP8 = 8,         /* inputs of the FP8/FP4 linear layers rounded to FP8 (blocks of 128) */
  DSV4_V4_OFFICIAL = 15        /* all of the above */
};

DSV4_API dsv4_session_params dsv4_session_params_default(void);

/* Creates a session. Its memory (cache sized for n_ctx, scratch, logits) is planned and
 * checked against memory_limit_bytes before anything is allocated. */
DSV4_API dsv4_status dsv4_session_init(const dsv4_model *model, const dsv4_session_params *params,
                                       dsv4_session **out);
DSV4_API dsv4_status dsv4_session_free(dsv4_session *session);

/* Evaluates n tokens appended at the session's current length. output_mask (n bytes, may be
 * NULL) flags the rows whose logits are kept; NULL keeps the last token's only. Errors:
 * DSV4_ERR_TOKEN_OUT_OF_RANGE and DSV4_ERR_CONTEXT_FULL are detected before any work and
 * leave the session unchanged; DSV4_CANCELLED (dsv4_session_cancel) keeps the tokens of the
 * internal batches that completed. No BOS is added. */
DSV4_API dsv4_status dsv4_session_eval(dsv4_session *session, const int32_t *tokens, size_t n,
                                       const uint8_t *output_mask);

/* Copies the logits of the flagged rows of the last eval, [n_rows][n_vocab] row-major f32.
 * cap and *n_required count floats. */
DSV4_API dsv4_status dsv4_session_logits(const dsv4_session *session, float *buf, size_t cap,
                                         size_t *n_required);

/* Tokens held (= the next position). */
DSV4_API dsv4_status dsv4_session_length(const dsv4_session *session, int64_t *length);
/* Keeps the first n_keep tokens; later evals continue from there. */
DSV4_API dsv4_status dsv4_session_truncate(dsv4_session *session, int64_t n_keep);
/* Forgets every token (same as truncate to 0). */
DSV4_API dsv4_status dsv4_session_clear(dsv4_session *session);
/* Asks the running call on this session to stop; callable from any thread. The call returns
 * DSV4_CANCELLED at its next check (between layers). */
DSV4_API dsv4_status dsv4_session_cancel(dsv4_session *session);

/* ------------------------------------------------------------------------------------------
 * Generation: sampling, streaming text, stop conditions
 *
 * dsv4_generate() prefills a prompt on a session and then samples, streams and evaluates one
 * token at a time. Sampling applies, in this order: logit bias; repetition / presence /
 * frequency penalties over the last penalty_last_n tokens of the session; then either greedy
 * choice (temperature <= 0) or temperature, top-k, top-p and min-p (each cut renormalises what
 * is left) and a draw from a seeded std::mt19937_64 stream. The same model, prompt, session
 * state and parameters give the same tokens on every run, thread count and platform.
 * ---------------------------------------------------------------------------------------- */

typedef struct dsv4_sampling_params {
  uint32_t struct_size;            /* sizeof(dsv4_sampling_params) */
  float temperature;               /* 0.8; <= 0: greedy (largest logit, ties to the lower id) */
  int32_t top_k;                   /* 40; keep the k most likely tokens; 0: off */
  float top_p;                     /* 0.95; keep the most likely tokens up to this mass; (0, 1], 1: off */
  float min_p;                     /* 0.05; drop tokens below min_p * the top probability; [0, 1], 0: off */
  float repeat_penalty;            /* 1 (off); > 0: positive logits divided, negative multiplied */
  float presence_penalty;          /* 0 (off); subtracted once from each token seen */
  float frequency_penalty;         /* 0 (off); subtracted per occurrence */
  int32_t penalty_last_n;          /* 64; tokens the penalties look back; -1: all; 0: none */
  uint32_t reserved0;              /* must be 0 */
  uint64_t seed;                   /* 0 */
  const int32_t *logit_bias_tokens; /* n_logit_bias ids (NULL when n_logit_bias is 0) */
  const float *logit_bias_values;   /* added to their logits; -INFINITY bans a token */
  uint64_t n_logit_bias;
} dsv4_sampling_params;

DSV4_API dsv4_sampling_params dsv4_sampling_params_default(void);

/* Why generation stopped (dsv4_generate_result.stop_reason). */
enum {
  DSV4_STOP_MAX_TOKENS = 0,  /* max_tokens tokens were generated                    -> DSV4_OK */
  DSV4_STOP_EOS = 1,         /* the model produced end-of-sequence (EOS, or <|EOT|>) -> DSV4_OK */
  DSV4_STOP_STRING = 2,      /* the text reached a stop string                      -> DSV4_OK */
  DSV4_STOP_CALLBACK = 3,    /* the callback returned non-zero                      -> DSV4_CANCELLED */
  DSV4_STOP_CANCELLED = 4,   /* dsv4_session_cancel() was called                    -> DSV4_CANCELLED */
  DSV4_STOP_CONTEXT_FULL = 5 /* the session's n_ctx has no room for another token   -> DSV4_OK */
};

typedef struct dsv4_generate_params {
  uint32_t struct_size;                 /* sizeof(dsv4_generate_params) */
  uint32_t ignore_eos;                  /* 0 (default): stop at end-of-sequence; 1: continue */
  int64_t max_tokens;                   /* 128; -1: no limit; 0: prefill the prompt only */
  const dsv4_sampling_params *sampling; /* NULL: dsv4_sampling_params_default() */
  const char *const *stop_strings;      /* n_stop non-empty NUL-terminated strings (may be NULL when 0) */
  uint64_t n_stop;
} dsv4_generate_params;

DSV4_API dsv4_generate_params dsv4_generate_params_default(void);

typedef struct dsv4_generate_result {
  uint32_t struct_size;   /* sizeof(dsv4_generate_result), set by the caller */
  int32_t stop_reason;    /* DSV4_STOP_* */
  int64_t n_prompt;       /* prompt tokens */
  int64_t n_reused;       /* of them, already held by the session and not evaluated again */
  int64_t n_generated;    /* tokens passed to the callback (an end-of-sequence token is not) */
  double prefill_seconds; /* evaluating the prompt's new part */
  double decode_seconds;  /* from the end of the prefill to the end of generation */
} dsv4_generate_result;

/* Streaming callback, called on the generating thread once per generated token: text[0 .. len)
 * is the text this token completes, NUL-terminated (len excludes the NUL; the text may hold NUL
 * bytes). It is often empty: bytes are held back while they may be part of a UTF-8 character or
 * the start of a stop string. A stop string and anything after it are never delivered. When
 * text is still held back as generation ends, one last call delivers it with token = -1 (its
 * return value is then ignored). Concatenating every text gives the generated text. A non-zero
 * return stops generation: DSV4_CANCELLED with stop_reason DSV4_STOP_CALLBACK. */
typedef int32_t (*dsv4_token_fn)(const char *text, size_t len, int32_t token, void *user);

/* Generates from prompt[0 .. n_prompt) (ids; add BOS yourself, see dsv4_tokenize). When the
 * session already holds tokens, only the part of the prompt after their longest common prefix
 * is evaluated (at least one token), in chunks of the session's n_batch; a multi-turn chat that
 * resends the whole conversation thus pays only for the new turn. Afterwards the session holds
 * the prompt and the generated tokens except the last one.
 *
 * params and result may be NULL (defaults; no report); callback may be NULL (text discarded).
 * result is filled on DSV4_OK and DSV4_CANCELLED.
 * Cancellation: dsv4_session_cancel() from another thread (or the callback) stops generation
 * before the next token is produced; an evaluation in progress stops at its next layer.
 * Errors, all before any work and leaving the session unchanged: DSV4_ERR_INVALID_ARGUMENT
 * (empty prompt, bad parameters, an empty stop string, stop strings for a model without a
 * tokenizer), DSV4_ERR_TOKEN_OUT_OF_RANGE, DSV4_ERR_CONTEXT_FULL (the prompt exceeds n_ctx). */
DSV4_API dsv4_status dsv4_generate(dsv4_session *session, const int32_t *prompt, size_t n_prompt,
                                   const dsv4_generate_params *params, dsv4_generate_result *result,
                                   dsv4_token_fn callback, void *user);

/* ------------------------------------------------------------------------------------------
 * Expert routing statistics
 * ---------------------------------------------------------------------------------------- */

/* How often the router chose each routed expert, for every token the session evaluated since it
 * was created or last reset: counts[layer * n_expert + expert], n_layer * n_expert values
 * (dense layers are all zero). cap and *n_required count values; *n_layer and *n_expert (either
 * may be NULL) describe the shape. A model without routed experts reports n_expert = 0 and
 * n_required = 0. Watching these shows "expert collapse": a layer routing most tokens to a few
 * experts. Same thread rules as the session. */
DSV4_API dsv4_status dsv4_session_expert_counts(const dsv4_session *session, uint64_t *counts, size_t cap,
                                                size_t *n_required, int64_t *n_layer, int64_t *n_expert);
/* Sets every count to zero. */
DSV4_API dsv4_status dsv4_session_expert_counts_reset(dsv4_session *session);

/* ------------------------------------------------------------------------------------------
 * Chat prompts
 *
 * Built-in formatters for DeepSeek's prompt layouts (no template engine), chosen from the
 * model: architecture deepseek4 -> the V4 layout; otherwise a vocabulary with <｜User｜> -> the
 * V3 layout (V3, V3.1, R1); otherwise architecture deepseek2 -> the V2 layout ("User: ...").
 * The output is text with the special markers spelled out (BOS included); tokenize it with
 * DSV4_TOKENIZE_PARSE_SPECIAL and without DSV4_TOKENIZE_ADD_BOS. Message text is inserted as
 * it is, so user text that spells a marker becomes that marker: tokenize untrusted text
 * separately if that matters.
 * ---------------------------------------------------------------------------------------- */

/* One tool call of an assistant message. Plain records, frozen for ABI 0 (no struct_size). */
typedef struct dsv4_chat_tool_call {
  const char *name;      /* the function's name */
  const char *arguments; /* its arguments: a JSON object as text */
} dsv4_chat_tool_call;

typedef struct dsv4_chat_message {
  const char *role;      /* "system", "user", "assistant" or "tool" (a tool's result) */
  const char *content;   /* NUL-terminated UTF-8; NULL = "" */
  const char *reasoning; /* assistant only: its thinking text, or NULL */
  const dsv4_chat_tool_call *tool_calls; /* assistant only: n_tool_calls calls, or NULL */
  uint64_t n_tool_calls;
} dsv4_chat_message;

enum {
  DSV4_CHAT_THINK = 1,                /* open a thinking block for the answer (V3.1-style "<think>"; V4
                                         thinking mode). Not available with the V2 layout. */
  DSV4_CHAT_NO_THINK = 2,             /* close it explicitly ("</think>": V3.1 non-thinking; V4's
                                         default chat mode) */
  DSV4_CHAT_NO_GENERATION_PROMPT = 4, /* do not end with the assistant's turn opener */
  DSV4_CHAT_NO_BOS = 8,               /* leave out the leading BOS text */
  DSV4_CHAT_KEEP_REASONING = 16       /* V4: keep the reasoning of every assistant turn, not only
                                         those after the last user message (V4 also does this
                                         when the conversation has tool calls or results) */
};

enum {
  DSV4_CHAT_LAYOUT_DEEPSEEK_V2 = 2,
  DSV4_CHAT_LAYOUT_DEEPSEEK_V3 = 3,
  DSV4_CHAT_LAYOUT_DEEPSEEK_V4 = 4
};

/* The layout dsv4_chat_format uses for this model (DSV4_CHAT_LAYOUT_*); DSV4_ERR_UNSUPPORTED
 * when none fits (no tokenizer, or an unknown architecture without DeepSeek chat markers). */
DSV4_API dsv4_status dsv4_chat_layout(const dsv4_model *model, int32_t *layout);

/* Renders messages[0 .. n) into (buf, cap) as the model's prompt text (NUL-terminated,
 * *n_required counts the NUL). flags: DSV4_CHAT_*. Layout rules (../shared/spec deepseek-v3.md
 * §7, deepseek-v4.md §9): V3 puts every system message first, joined by "\n\n", and drops
 * assistant reasoning (and any text up to "</think>" in assistant content); V4 keeps system
 * messages in place, merges tool results into the following user turn as
 * <tool_result>...</tool_result> blocks and writes tool calls in DSML. Tool schemas are not
 * rendered: put them in the system text. Tool results are matched to calls by order.
 * DSV4_ERR_INVALID_ARGUMENT names the first bad message (unknown role, reasoning or tool calls
 * on a non-assistant message, tool arguments that are not a JSON object for V4, tool messages
 * for V2) or a bad flag combination. Any thread; the model is only read. */
DSV4_API dsv4_status dsv4_chat_format(const dsv4_model *model, const dsv4_chat_message *messages, size_t n,
                                      uint32_t flags, char *buf, size_t cap, size_t *n_required);

#ifdef __cplusplus
}
#endif

#endif /* DSV4_H */
