# Sources of the C ABI implementation.
list(APPEND DSV4_LIB_SOURCES
  bindings/c/api_common.cpp
  bindings/c/api_model.cpp
  bindings/c/api_session.cpp
  bindings/c/api_generate.cpp
  bindings/c/api_chat.cpp
  bindings/c/api_tokenizer.cpp
)
