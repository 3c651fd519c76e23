# libFuzzer targets: only with DSV4_BUILD_FUZZ=ON and clang. The library sources a target needs
# are compiled again into it with fuzzer instrumentation, so coverage guidance reaches the parser
# (the normal library objects are built without it).
if(NOT DSV4_BUILD_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(WARNING "DSV4_BUILD_FUZZ needs clang (libFuzzer); fuzz targets are not built")
  return()
endif()

set(DSV4_FUZZ_GGUF_LIB_SOURCES
  ${CMAKE_SOURCE_DIR}/src/format/gguf_reader.cpp
  ${CMAKE_SOURCE_DIR}/src/format/gguf_writer.cpp
  ${CMAKE_SOURCE_DIR}/src/format/ggml_type.cpp
  ${CMAKE_SOURCE_DIR}/src/common/memory.cpp
)
set(DSV4_FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_executable(fuzz_gguf fuzz/fuzz_gguf.cpp ${DSV4_FUZZ_GGUF_LIB_SOURCES})
target_include_directories(fuzz_gguf PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_compile_options(fuzz_gguf PRIVATE ${DSV4_FUZZ_FLAGS})
target_link_options(fuzz_gguf PRIVATE ${DSV4_FUZZ_FLAGS})

# Seed corpus, generated at test time by the library's own writer (no binary files in git).
add_executable(fuzz_gguf_seeds fuzz/make_gguf_seeds.cpp ${DSV4_FUZZ_GGUF_LIB_SOURCES})
target_include_directories(fuzz_gguf_seeds PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)

set(DSV4_FUZZ_GGUF_SEEDS ${CMAKE_BINARY_DIR}/fuzz/gguf_seeds)
set(DSV4_FUZZ_GGUF_CORPUS ${CMAKE_BINARY_DIR}/fuzz/gguf_corpus)  # grows across runs
file(MAKE_DIRECTORY ${DSV4_FUZZ_GGUF_CORPUS})

add_test(NAME fuzz_gguf_seeds COMMAND fuzz_gguf_seeds ${DSV4_FUZZ_GGUF_SEEDS})
set_tests_properties(fuzz_gguf_seeds PROPERTIES LABELS fuzz FIXTURES_SETUP fuzz_gguf_seed_corpus)
add_test(NAME fuzz_gguf_60s
  COMMAND fuzz_gguf -max_total_time=60 -rss_limit_mb=2048 -timeout=10 ${DSV4_FUZZ_GGUF_CORPUS} ${DSV4_FUZZ_GGUF_SEEDS})
set_tests_properties(fuzz_gguf_60s PROPERTIES LABELS fuzz FIXTURES_REQUIRED fuzz_gguf_seed_corpus TIMEOUT 180)

# Tokenizer: random bytes -> tokenize -> detokenize on the vocab GGUFs of ../shared/testdata.
set(DSV4_FUZZ_TOKENIZER_LIB_SOURCES ${DSV4_FUZZ_GGUF_LIB_SOURCES})
foreach(src added_tokens bpe byte_level load_gguf load_hf_json pretokenizer_lists regex_split stream_decoder
            tokenizer utf8 word_cache)
  list(APPEND DSV4_FUZZ_TOKENIZER_LIB_SOURCES ${CMAKE_SOURCE_DIR}/src/tokenizer/${src}.cpp)
endforeach()
add_executable(fuzz_tokenizer fuzz/fuzz_tokenizer.cpp ${DSV4_FUZZ_TOKENIZER_LIB_SOURCES})
target_include_directories(fuzz_tokenizer PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(fuzz_tokenizer PRIVATE DSV4_TESTDATA_DIR="${DSV4_TESTDATA_DIR}")
target_compile_options(fuzz_tokenizer PRIVATE ${DSV4_FUZZ_FLAGS})
target_link_options(fuzz_tokenizer PRIVATE ${DSV4_FUZZ_FLAGS})
target_link_libraries(fuzz_tokenizer PRIVATE PkgConfig::PCRE2 nlohmann_json::nlohmann_json Threads::Threads)

# Seeds: the first byte picks vocabulary and flags ('0' v3, '4' v3 + special, 'a' llm, 'b' coder).
set(DSV4_FUZZ_TOKENIZER_SEEDS ${CMAKE_BINARY_DIR}/fuzz/tokenizer_seeds)
set(DSV4_FUZZ_TOKENIZER_CORPUS ${CMAKE_BINARY_DIR}/fuzz/tokenizer_corpus)  # grows across runs
file(MAKE_DIRECTORY ${DSV4_FUZZ_TOKENIZER_CORPUS})
file(WRITE ${DSV4_FUZZ_TOKENIZER_SEEDS}/prose "0The quick brown fox jumps over the lazy dog. I'm sure it's fine, isn't it?")
file(WRITE ${DSV4_FUZZ_TOKENIZER_SEEDS}/numbers "0v1.2.3-rc.4 1,000,000 2026-11-29 0x1F   \t\n\n")
file(WRITE ${DSV4_FUZZ_TOKENIZER_SEEDS}/cjk "4深度求索发布了新的模型。日本語のテキスト 한국어 <｜User｜>Hi<｜Assistant｜>")
file(WRITE ${DSV4_FUZZ_TOKENIZER_SEEDS}/emoji "a👨‍👩‍👧‍👦 family 🇩🇪 é ﬁ ＦＵＬＬ １２３\r\n")
file(WRITE ${DSV4_FUZZ_TOKENIZER_SEEDS}/code "bint main(void) { return printf(\"%d\\n\", 42); }\n    return x ** 2")
add_test(NAME fuzz_tokenizer_60s
  COMMAND fuzz_tokenizer -max_total_time=60 -max_len=4096 -rss_limit_mb=4096 -timeout=10
          ${DSV4_FUZZ_TOKENIZER_CORPUS} ${DSV4_FUZZ_TOKENIZER_SEEDS})
set_tests_properties(fuzz_tokenizer_60s PROPERTIES LABELS fuzz TIMEOUT 180)

# Everything the fuzz tests run, buildable on its own (scripts/test.sh builds only this).
add_custom_target(fuzz_targets DEPENDS fuzz_gguf fuzz_gguf_seeds fuzz_tokenizer)
