# Sources of src/tokenizer (explicit list, no GLOB).
