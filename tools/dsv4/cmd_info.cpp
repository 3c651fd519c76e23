#include "cli.h"
namespace dsv4::cli {
int cmd_info(int, char **) { throw UsageError("info: not implemented yet"); }
}
