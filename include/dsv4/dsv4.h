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

typedef struct dsv4_model_params {
  uint32_t struct_size;        /* sizeof(dsv4_model_params) */
  uint32_t use_mmap;           /* 1 (default): map the file; 0: read weights into memory */
  uint32_t vocab_only;         /* 1: load metadata and tokenizer only, any architecture */
  uint32_t reserved0;          /* must be 0 */
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
  uint32_t n_threads;          /* 0 (default): all hardware threads */
  int64_t n_ctx;               /* positions; 0 (default): min(training context, 4096) */
  uint32_t cache_type;         /* DSV4_CACHE_* (default F32) */
  uint32_t n_batch;            /* tokens per internal forward call; 0 (default): 512 */
  uint64_t memory_limit_bytes; /* 0 (default): MemAvailable */
} dsv4_session_params;

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

#ifdef __cplusplus
}
#endif

#endif /* DSV4_H */
