/*
 * generate.c — the smallest complete use of dsv4 from C: load a model, tokenize a prompt,
 * generate with streaming, free everything. Only the public C ABI (dsv4/dsv4.h) is used.
 *
 *   usage: generate MODEL.gguf [PROMPT] [MAX_TOKENS]
 *
 * The generated text goes to stdout as it is produced; a summary goes to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsv4/dsv4.h"

/* Prints the failing call, its status and the library's message; returns 1 for main. */
static int report(const char *what, dsv4_status status) {
  fprintf(stderr, "%s failed: %s: %s\n", what, dsv4_status_string(status), dsv4_last_error());
  return 1;
}

/* Streaming callback: one call per generated token with the text it completes. */
static int32_t print_piece(const char *text, size_t len, int32_t token, void *user) {
  (void)token;
  (void)user;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  return 0; /* non-zero would stop generation */
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : NULL;
  const char *prompt = argc > 2 ? argv[2] : "The capital of France is";
  const long max_tokens = argc > 3 ? strtol(argv[3], NULL, 10) : 32;
  dsv4_model *model = NULL;
  dsv4_session *session = NULL;
  dsv4_tokenizer_info info;
  dsv4_sampling_params sampling;
  dsv4_generate_params params;
  dsv4_generate_result result;
  int32_t *ids = NULL;
  size_t n_ids = 0;
  dsv4_status st;
  int rc = 1;

  if (!path) {
    fprintf(stderr, "usage: %s MODEL.gguf [PROMPT] [MAX_TOKENS]\n", argv[0]);
    return 2;
  }

  /* 1. Load the model (NULL params: defaults, i.e. memory-mapped weights). */
  st = dsv4_model_load(path, NULL, &model);
  if (st != DSV4_OK) return report("dsv4_model_load", st);

  /* 2. Tokenize. The model says whether prompts start with BOS; a prompt of len bytes never
   *    needs more than len + 1 ids. */
  memset(&info, 0, sizeof(info));
  info.struct_size = sizeof(info);
  st = dsv4_model_get_tokenizer_info(model, &info);
  if (st != DSV4_OK) {
    rc = report("dsv4_model_get_tokenizer_info", st);
    goto done;
  }
  ids = malloc((strlen(prompt) + 1) * sizeof(int32_t));
  if (!ids) goto done;
  st = dsv4_tokenize(model, prompt, strlen(prompt), info.add_bos ? DSV4_TOKENIZE_ADD_BOS : 0, ids,
                     strlen(prompt) + 1, &n_ids);
  if (st != DSV4_OK) {
    rc = report("dsv4_tokenize", st);
    goto done;
  }

  /* 3. A session holds one conversation's state. */
  st = dsv4_session_init(model, NULL, &session);
  if (st != DSV4_OK) {
    rc = report("dsv4_session_init", st);
    goto done;
  }

  /* 4. Generate, streaming text through print_piece. */
  sampling = dsv4_sampling_params_default();
  sampling.temperature = 0.7f;
  sampling.seed = 42;
  params = dsv4_generate_params_default();
  params.max_tokens = max_tokens;
  params.sampling = &sampling;
  memset(&result, 0, sizeof(result));
  result.struct_size = sizeof(result);
  st = dsv4_generate(session, ids, n_ids, &params, &result, print_piece, NULL);
  if (st != DSV4_OK && st != DSV4_CANCELLED) {
    rc = report("dsv4_generate", st);
    goto done;
  }
  fprintf(stderr, "\ngenerated %lld tokens (prompt %lld tokens in %.3f s, generation %.3f s, stop reason %d)\n",
          (long long)result.n_generated, (long long)result.n_prompt, result.prefill_seconds, result.decode_seconds,
          (int)result.stop_reason);
  rc = 0;

done:
  /* 5. Free: sessions before their model (dsv4_model_free refuses while sessions live). */
  free(ids);
  dsv4_session_free(session);
  dsv4_model_free(model);
  return rc;
}
