# Sources of src/quant (explicit list, no GLOB).
