# C ABI tests: C99 programs compiled with -Wall -Wextra -pedantic -Werror.
